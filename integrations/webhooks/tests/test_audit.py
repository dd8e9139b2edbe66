"""The audit trail of outbound webhooks: one entry per call, never the signing secret; a PATCH that changes
nothing, a refused URL and a delivery that cannot be retried leave none."""

import pytest
from pytest_httpserver import HTTPServer

from integrations.tests.test_outbound import PUBLIC_IP
from integrations.webhooks.models import Delivery, Subscription
from integrations.webhooks.tests.test_deliveries_support import make_delivery
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/"
HOOK = f"https://{PUBLIC_IP}/hook"


@pytest.fixture(autouse=True)
def no_private_networks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


def test_a_subscription_created_changed_rotated_and_deleted_without_its_secret(api, tenant):
    trail = Trail()
    made = api.post(BASE, {"url": HOOK, "events": ["voucher.issued"]}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "webhook_subscription.created",
        "object_type": "webhook_subscription",
        "object_id": body["id"],
        "changes": {"url": [None, HOOK], "events": [None, ["voucher.issued"]], "active": [None, True]},
    }
    assert_nothing_secret(entry, body["secret"], body["secret"].removeprefix("whsec_"))
    url = f"{BASE}{body['id']}/"

    trail = Trail()
    assert api.patch(url, {"events": ["voucher.issued", "voucher.redeemed"]}, format="json").status_code == 200
    assert shown(trail.one())["changes"] == {"events": [["voucher.issued"], ["voucher.issued", "voucher.redeemed"]]}
    trail = Trail()
    assert api.patch(url, {"events": ["voucher.issued", "voucher.redeemed"]}, format="json").status_code == 200
    assert api.patch(url, {"url": "http://127.0.0.1/x"}, format="json").status_code == 422
    trail.assert_none()
    assert Subscription.objects.get().url == HOOK

    trail = Trail()
    rotated = api.post(f"{url}rotate-secret/")
    assert rotated.status_code == 200
    entry = trail.one()
    assert (entry.action, entry.changes) == ("webhook_subscription.secret_rotated", {})
    assert_nothing_secret(entry, rotated.json()["secret"], body["secret"])

    trail = Trail()
    assert api.delete(url).status_code in (200, 204)
    assert shown(trail.one())["changes"] == {"active": [True, False], "disabled_reason": ["", "Deleted."]}
    trail = Trail()
    assert api.delete(url).status_code in (200, 204)
    trail.assert_none()


def test_a_test_send_and_a_retry_are_one_entry_each(api, tenant, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    receiver = HTTPServer(host="127.0.0.1", port=0)
    receiver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    receiver.start()
    try:
        made = api.post(BASE, {"url": receiver.url_for("/hook"), "events": ["employee.created"]}, format="json")
        subscription = Subscription.objects.get(pk=made.json()["id"])
        trail = Trail()
        tested = api.post(f"{BASE}{subscription.pk}/test/")
        assert tested.status_code == 200, tested.content
        assert shown(trail.one()) == {
            **client(tenant),
            "action": "webhook_subscription.tested",
            "object_type": "webhook_subscription",
            "object_id": str(subscription.pk),
            "changes": {"delivery": [None, tested.json()["id"]]},
        }

        dead = make_delivery(subscription, state="dead", attempts=8)
        trail = Trail()
        retried = api.post(f"{BASE}{subscription.pk}/deliveries/{dead.pk}/retry/")
        assert retried.status_code == 202, retried.content
        entry = trail.one()
        assert (entry.action, entry.object_type, entry.object_id) == (
            "webhook_delivery.retried",
            "webhook_delivery",
            str(dead.pk),
        )
        assert entry.changes["state"] == ["dead", "pending"]
        assert entry.changes["next_attempt_at"][0] is None
    finally:
        receiver.stop()

    delivered = Delivery.objects.get(pk=tested.json()["id"])
    trail = Trail()
    assert api.post(f"{BASE}{subscription.pk}/deliveries/{delivered.pk}/retry/").status_code == 409
    trail.assert_none()
