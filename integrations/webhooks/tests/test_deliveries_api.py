"""GET /api/v1/webhooks/{id}/deliveries/ and POST …/{delivery_id}/retry/, and the services behind them
(delivery_retry, delivery_send_test): filters, strict parameters, pages, query counts, scopes, tenancy."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.webhooks import tasks
from integrations.webhooks.models import Delivery, DeliveryAttempt
from integrations.webhooks.services.deliveries import delivery_retry, delivery_send_test
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import make_delivery, make_subscription
from plum.core.actor import Actor
from plum.core.errors import DomainError
from plum.core.scopes import ALL_SCOPES
from tests.support import assert_problem

receiver = support.receiver  # the shared fixture

pytestmark = pytest.mark.django_db
URL = "https://receiver.example/hook"
FIELDS = {"id", "event_id", "event_type", "state", "attempts", "last_status_code", "last_error", "next_attempt_at"}
FIELDS |= {"created_at", "delivered_at"}


def deliveries_url(subscription) -> str:
    return f"/api/v1/webhooks/{subscription.pk}/deliveries/"


def retry_url(subscription, delivery) -> str:
    return f"{deliveries_url(subscription)}{delivery.pk}/retry/"


@pytest.fixture
def subscription(tenant):
    return make_subscription(tenant.organisation.id, URL, ["employee.created", "voucher.issued"])[0]


@pytest.fixture
def sent_inline(monkeypatch, settings):
    """Messages queued after commit run at once, in this process (as without REDIS_URL)."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setattr(tasks.send_deliveries_task, "delay", tasks.send_deliveries_task)


def state_of(delivery) -> tuple:
    d = Delivery.objects.get(pk=delivery.pk)
    return d.state, d.attempts, d.next_attempt_at


def test_the_list_shows_the_subscriptions_deliveries_newest_first_with_the_api_fields(api, subscription, tenant):
    other, _ = make_subscription(tenant.organisation.id, URL)
    older = make_delivery(subscription, "failed", attempts=2, last_status_code=503, last_error="Receiver answered 503")
    newer = make_delivery(subscription, "delivered", delivered_at=timezone.now(), attempts=1, last_status_code=200)
    make_delivery(other)
    body = api.get(deliveries_url(subscription)).json()
    assert [d["id"] for d in body["results"]] == [str(newer.pk), str(older.pk)]
    assert set(body["results"][1]) == FIELDS
    assert body["results"][1] | {"created_at": None} == {
        "id": str(older.pk),
        "event_id": str(older.event_id),
        "event_type": "employee.created",
        "state": "failed",
        "attempts": 2,
        "last_status_code": 503,
        "last_error": "Receiver answered 503",
        "next_attempt_at": older.next_attempt_at.isoformat().replace("+00:00", "Z"),
        "created_at": None,
        "delivered_at": None,
    }


def test_filters_by_state_and_event_type(api, subscription):
    dead_voucher = make_delivery(subscription, "dead", event_type="voucher.issued")
    make_delivery(subscription, "dead")
    make_delivery(subscription, "pending", event_type="voucher.issued")
    got = api.get(deliveries_url(subscription), {"state": "dead", "event_type": "voucher.issued"}).json()
    assert [d["id"] for d in got["results"]] == [str(dead_voucher.pk)]


@pytest.mark.parametrize(
    ("params", "field"), [({"state": "lost"}, "state"), ({"stat": "dead"}, "stat"), ({"page_size": "x"}, "page_size")]
)
def test_a_bad_or_unknown_query_parameter_is_400_naming_it(api, subscription, params, field):
    make_delivery(subscription)
    response = api.get(deliveries_url(subscription), params)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_pages_follow_the_cursor(api, subscription):
    made = [make_delivery(subscription, created_at=timezone.now() - timedelta(seconds=n)) for n in range(5)]
    first = api.get(deliveries_url(subscription), {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert [d["id"] for d in first["results"] + second["results"]] == [str(d.pk) for d in made]
    assert second["next"] is None


def test_the_list_costs_the_same_queries_for_2_and_60_deliveries(api, subscription):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(deliveries_url(subscription), {"page_size": 500}).status_code == 200
        return len(captured)

    for _ in range(2):
        make_delivery(subscription)
    few = queries()
    for _ in range(58):
        make_delivery(subscription, "delivered")
    assert queries() == few


def test_another_organisations_subscription_or_delivery_is_404(api, subscription, other_tenant):
    foreign, _ = make_subscription(other_tenant.organisation.id, URL)
    foreign_delivery = make_delivery(foreign, "failed")
    mine = make_delivery(subscription, "failed")
    assert_problem(api.get(deliveries_url(foreign)), 404, "subscription_not_found")
    assert_problem(api.get("/api/v1/webhooks/not-a-uuid/deliveries/"), 404, "subscription_not_found")
    assert_problem(api.post(retry_url(foreign, foreign_delivery)), 404, "subscription_not_found")
    assert_problem(api.post(retry_url(subscription, foreign_delivery)), 404, "delivery_not_found")
    assert_problem(api.post(f"{deliveries_url(subscription)}nope/retry/"), 404, "delivery_not_found")
    assert state_of(foreign_delivery)[0] == state_of(mine)[0] == "failed"


def test_the_scope_is_integrations_manage(tenant, subscription):
    delivery = make_delivery(subscription, "failed")
    without = tenant.api(scopes=[s for s in ALL_SCOPES if s != "integrations:manage"])
    assert without.get(deliveries_url(subscription)).status_code == 403
    assert without.post(retry_url(subscription, delivery)).status_code == 403
    assert state_of(delivery)[0] == "failed"


@pytest.mark.parametrize("state", ["failed", "dead"])
def test_retry_sends_a_failed_or_dead_delivery_again_now(
    api, tenant, receiver, sent_inline, state, django_capture_on_commit_callbacks
):
    server = receiver(200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    attempts = 3 if state == "failed" else 8
    delivery = make_delivery(
        subscription, state, attempts=attempts, next_attempt_at=timezone.now() + timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(retry_url(subscription, delivery))
    assert response.status_code == 202
    assert response.json()["state"] == "pending" and response.json()["id"] == str(delivery.pk)
    assert state_of(delivery) == ("delivered", attempts + 1, None)
    assert [got.headers["webhook-id"] for got in server.received] == [str(delivery.event_id)]
    assert DeliveryAttempt.objects.get(delivery=delivery).number == attempts + 1


@pytest.mark.parametrize("state", ["delivered", "pending"])
def test_retry_of_a_delivered_or_pending_delivery_is_409_and_changes_nothing(api, subscription, state):
    delivery = make_delivery(subscription, state)
    before = state_of(delivery)
    assert_problem(api.post(retry_url(subscription, delivery)), 409, "delivery_not_retryable")
    assert state_of(delivery) == before


def test_retry_on_a_disabled_subscription_is_409_subscription_inactive(api, tenant):
    subscription, _ = make_subscription(
        tenant.organisation.id, URL, active=False, disabled_reason="Receiver answered 410 Gone"
    )
    delivery = make_delivery(subscription, "dead")
    assert_problem(api.post(retry_url(subscription, delivery)), 409, "subscription_inactive")
    assert state_of(delivery) == ("dead", 0, None)


def test_a_test_event_goes_to_that_one_subscription_now(
    tenant, receiver, sent_inline, django_capture_on_commit_callbacks
):
    server = receiver(200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url, ["voucher.issued"])
    bystander, _ = make_subscription(tenant.organisation.id, server.url, ["voucher.issued"])
    actor = Actor.system(tenant.organisation.id)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = delivery_send_test(actor=actor, subscription_id=subscription.pk)
    assert (delivery.event_type, delivery.subscription_id) == ("webhook.test", subscription.pk)
    assert state_of(delivery)[:2] == ("delivered", 1)
    [got] = server.received
    assert got.headers["webhook-id"] == str(delivery.event_id)
    body = got.json
    assert set(body) == {"id", "type", "created_at", "organisation", "data"}
    assert (body["id"], body["type"], body["organisation"]) == (
        str(delivery.event_id),
        "webhook.test",
        str(tenant.organisation.id),
    )
    assert body["data"]["webhook"] == str(subscription.pk) and body["data"]["message"]
    assert json.loads(Delivery.objects.get(pk=delivery.pk).body) == body
    assert not Delivery.objects.filter(subscription=bystander).exists()


def test_a_test_event_for_another_organisation_or_a_disabled_subscription_is_refused(tenant, other_tenant):
    foreign, _ = make_subscription(other_tenant.organisation.id, URL)
    disabled, _ = make_subscription(tenant.organisation.id, URL, active=False)
    actor = Actor.system(tenant.organisation.id)
    for subscription, code in ((foreign, "subscription_not_found"), (disabled, "subscription_inactive")):
        with pytest.raises(DomainError) as refused:
            delivery_send_test(actor=actor, subscription_id=subscription.pk)
        assert refused.value.code == code
    assert not Delivery.objects.exists()


def test_the_service_retry_refuses_what_the_door_refuses(tenant, subscription):
    delivery = make_delivery(subscription, "delivered")
    with pytest.raises(DomainError) as refused:
        delivery_retry(
            actor=Actor.system(tenant.organisation.id), subscription_id=subscription.pk, delivery_id=delivery.pk
        )
    assert refused.value.code == "delivery_not_retryable"
