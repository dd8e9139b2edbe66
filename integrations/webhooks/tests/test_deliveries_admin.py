"""Operations staff's deliveries: the list with its filters (constant queries), the detail with the body and
every attempt, and the retry action through delivery_retry (a delivered one is refused, nothing changes)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.webhooks.models import Delivery, DeliveryAttempt
from integrations.webhooks.tests.test_deliveries_support import make_delivery, make_subscription

pytestmark = pytest.mark.django_db
ADMIN = "/admin/integrations_webhooks/delivery/"


@pytest.fixture
def subscription(tenant):
    return make_subscription(tenant.organisation.id, "https://93.184.215.14/hook", ["voucher.issued"])[0]


def test_the_list_and_its_filters_load_with_constant_queries(admin_client, subscription, other_tenant):
    failed = make_delivery(subscription, "failed", event_type="voucher.issued", last_error="Receiver answered 503")
    make_delivery(subscription, "delivered", delivered_at=timezone.now())
    other, _ = make_subscription(other_tenant.organisation.id, "https://93.184.215.14/other")
    make_delivery(other, "dead")
    filters = ("", "?state=failed", "?event_type=voucher.issued", f"?subscription__id__exact={subscription.pk}")
    for query in filters:
        assert admin_client.get(ADMIN + query).status_code == 200, query
    listed = admin_client.get(ADMIN + "?state=failed&event_type=voucher.issued").context["cl"].result_list
    assert list(listed) == [failed]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(ADMIN).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(20):
        make_delivery(other, "dead")
    assert queries() == few


def test_the_detail_shows_the_body_and_every_attempt(admin_client, subscription):
    delivery = make_delivery(subscription, "failed", attempts=2, last_status_code=503)
    for number, status, error in ((1, None, "ConnectError: refused"), (2, 503, "Receiver answered 503")):
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            attempted_at=timezone.now(),
            status_code=status,
            error=error,
            answer_excerpt="try later" if status else "",
            duration_ms=12 * number,
        )
    page = admin_client.get(f"{ADMIN}{delivery.pk}/change/").content.decode()
    for shown in ("ConnectError: refused", "Receiver answered 503", "try later", "24", str(delivery.event_id)):
        assert shown in page
    assert "&quot;type&quot;: &quot;employee.created&quot;" in page  # the body, escaped


def retry(client, *deliveries):
    return client.post(ADMIN, {"action": "retry", "_selected_action": [str(d.pk) for d in deliveries]}, follow=True)


def test_retry_puts_a_failed_delivery_back_and_refuses_a_delivered_one(
    admin_client, subscription, monkeypatch, django_capture_on_commit_callbacks
):
    from integrations.webhooks import tasks

    sent = []
    monkeypatch.setattr(tasks.send_deliveries_task, "delay", lambda ids, token: sent.append(ids))
    failed = make_delivery(subscription, "dead", attempts=8)
    delivered = make_delivery(subscription, "delivered", attempts=1, delivered_at=timezone.now())
    before = Delivery.objects.filter(pk=delivered.pk).values().get()
    with django_capture_on_commit_callbacks(execute=True):
        response = retry(admin_client, failed, delivered)
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 delivery queued again." in m for m in messages)
    assert any("only a failed or dead delivery can be retried" in m for m in messages)
    assert Delivery.objects.get(pk=failed.pk).state == "pending" and sent == [[str(failed.pk)]]
    assert Delivery.objects.filter(pk=delivered.pk).values().get() == before


def test_staff_without_the_change_permission_get_no_retry(client, subscription):
    staff = User.objects.create_user("viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(staff)
    delivery = make_delivery(subscription, "dead")
    page = client.get(ADMIN)
    assert page.status_code == 200 and page.context["action_form"] is None  # retry is its only action
    retry(client, delivery)
    assert Delivery.objects.get(pk=delivery.pk).state == "dead"
