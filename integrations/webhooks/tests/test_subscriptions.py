"""REST /api/v1/webhooks/: CRUD with exact bodies, the secret shown once and sealed at rest, the SSRF
guard at save, validation, rotation's 24 hours of grace, "send test" to a real receiver on 127.0.0.1."""

import re
import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from integrations.tests.test_outbound import PUBLIC_IP, FakeResolver
from integrations.webhooks.models import Delivery, Subscription
from integrations.webhooks.services.signing import signing_secrets
from plum.core.keys import new_webhook_secret, unseal
from plum.core.timefmt import iso

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/"
HOOK = f"https://{PUBLIC_IP}/hook"


@pytest.fixture(autouse=True)
def no_private_networks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def resolver(monkeypatch):
    fake = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


def create(api, **body):
    return api.post(BASE, {"url": HOOK, "events": ["voucher.issued"], **body}, format="json")


def document(subscription: Subscription) -> dict:
    subscription.refresh_from_db()
    return {
        "id": str(subscription.pk),
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
        "disabled_reason": subscription.disabled_reason,
        "failing_since": iso(subscription.failing_since),
        "previous_secret_expires_at": iso(subscription.previous_secret_expires_at),
        "created_at": iso(subscription.created_at),
        "updated_at": iso(subscription.updated_at),
    }


def documented_recipe():
    """The `verified` function docs/outbound-webhooks.md gives receivers (its second Python block)."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "outbound-webhooks.md").read_text()
    namespace = {}
    exec(re.findall(r"```python\n(.*?)```", text, re.S)[1], namespace)
    return namespace["verified"]


def snapshot() -> list[tuple]:
    return list(Subscription.objects.order_by("pk").values_list())


def test_create_answers_the_subscription_and_its_secret_once(api, tenant):
    response = create(api, events=["points_request.credited", "voucher.issued", "points_request.credited"])
    assert response.status_code == 201, response.content
    body = response.json()
    subscription = Subscription.objects.get()
    assert body == {**document(subscription), "secret": body["secret"]}
    assert body["events"] == ["points_request.credited", "voucher.issued"]  # a repeated type asked once
    assert (body["active"], body["disabled_reason"], body["failing_since"]) == (True, "", None)
    assert subscription.organisation_id == tenant.organisation.pk
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(Webhook(secret)._whsecret) == 32
    stored = bytes(subscription.secret_sealed)
    assert secret.encode() not in stored and secret.removeprefix("whsec_").encode() not in stored
    assert unseal(stored, tenant.organisation.pk) == secret
    assert subscription.previous_secret_sealed is None

    shown = api.get(f"{BASE}{subscription.pk}/")
    assert (shown.status_code, shown.json()) == (200, document(subscription))
    listed = api.get(BASE).json()
    assert listed == {"results": [document(subscription)], "next": None, "previous": None}
    assert secret not in shown.content.decode() + api.get(BASE).content.decode()


def test_an_idempotent_replay_answers_the_subscription_without_its_secret(api):
    first = api.post(BASE, {"url": HOOK, "events": ["voucher.issued"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(BASE, {"url": HOOK, "events": ["voucher.issued"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert "secret" in first.json() and again.json() == {k: v for k, v in first.json().items() if k != "secret"}
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "https://[::1]:8443/", "http://169.254.169.254/latest/"])
def test_a_url_the_guard_refuses_is_422_and_nothing_is_saved(api, url):
    response = create(api, url=url)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], [e["field"] for e in body["errors"]]) == ("url_not_allowed", ["url"])
    assert body["errors"][0]["code"] == "url_not_allowed"
    assert Subscription.objects.count() == 0


def test_a_name_resolving_to_a_private_address_is_refused_unless_its_network_is_allowed(api, settings, resolver):
    resolver.answers["intranet.example"] = [["10.1.2.3"]]
    refused = create(api, url="https://intranet.example/hook")
    assert (refused.status_code, refused.json()["code"]) == (422, "url_not_allowed")
    assert "intranet.example resolves to 10.1.2.3, which is private" in refused.json()["detail"]
    assert Subscription.objects.count() == 0

    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]
    assert create(api, url="https://intranet.example/hook").status_code == 201
    assert create(api, url="http://127.0.0.1:8080/hook").status_code == 201
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"url": HOOK, "events": ["voucher.issued", "voucher.nope", 3]},
            [
                ("events[1]", "unknown_event_type", "Unknown event type 'voucher.nope'."),
                ("events[2]", "invalid", "Must be an event type."),
            ],
        ),
        ({"url": HOOK, "events": []}, [("events", "invalid", "At least one event type.")]),
        ({"url": HOOK, "events": "voucher.issued"}, [("events", "invalid", "Must be a list of event types.")]),
        ({"events": ["voucher.issued"]}, [("url", "required", "This field is required.")]),
        (
            {"url": "not a url", "events": ["voucher.issued"]},
            [("url", "invalid", "An absolute http or https URL of at most 2000 characters.")],
        ),
        (
            {"url": HOOK + "x" * 2000, "events": ["voucher.issued"]},
            [("url", "invalid", "An absolute http or https URL of at most 2000 characters.")],
        ),
        (
            {"url": HOOK, "events": ["voucher.issued"], "secret": "whsec_mine"},
            [("secret", "unknown_field", "Unknown field 'secret'.")],
        ),
        (
            {"url": HOOK, "events": ["voucher.issued"], "active": "yes"},
            [("active", "invalid", "Must be true or false.")],
        ),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(api, body, errors):
    response = api.post(BASE, body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == errors
    assert Subscription.objects.count() == 0


def test_a_scheme_other_than_http_is_url_not_allowed(api):
    response = create(api, url="ftp://93.184.215.14/hook")
    assert (response.status_code, response.json()["code"]) == (422, "url_not_allowed")


def test_patch_changes_what_was_sent_and_checks_a_new_url(api):
    subscription_id = create(api).json()["id"]
    subscription = Subscription.objects.get()
    changed = api.patch(f"{BASE}{subscription_id}/", {"events": ["employee.created"]}, format="json")
    assert (changed.status_code, changed.json()) == (200, document(subscription))
    assert (subscription.events, subscription.url) == (["employee.created"], HOOK)

    before = snapshot()
    refused = api.patch(f"{BASE}{subscription_id}/", {"url": "http://192.168.0.10/"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "url_not_allowed")
    invalid = api.patch(f"{BASE}{subscription_id}/", {"subscription_id": str(uuid.uuid4())}, format="json")
    assert [(e["field"], e["code"]) for e in invalid.json()["errors"]] == [("subscription_id", "unknown_field")]
    assert snapshot() == before

    moved = api.patch(f"{BASE}{subscription_id}/", {"url": "https://93.184.215.15/new"}, format="json")
    assert (moved.status_code, moved.json()["url"]) == (200, "https://93.184.215.15/new")


def test_reactivating_clears_the_failure_state(api):
    subscription_id = create(api).json()["id"]
    Subscription.objects.filter(pk=subscription_id).update(
        active=False, disabled_reason="Receiver answered 410 Gone", failing_since=timezone.now()
    )
    response = api.patch(f"{BASE}{subscription_id}/", {"active": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["disabled_reason"], response.json()["failing_since"]) == (
        True,
        "",
        None,
    )
    subscription = Subscription.objects.get()
    assert (subscription.active, subscription.disabled_reason, subscription.failing_since) == (True, "", None)


def test_delete_deactivates_and_keeps_the_subscription_listed(api):
    subscription_id = create(api).json()["id"]
    subscription = Subscription.objects.get()
    deleted = api.delete(f"{BASE}{subscription_id}/")
    assert (deleted.status_code, deleted.json()) == (200, document(subscription))
    assert (subscription.active, subscription.disabled_reason) == (False, "Deleted.")
    assert api.get(f"{BASE}{subscription_id}/").json() == document(subscription)
    before = snapshot()
    assert api.delete(f"{BASE}{subscription_id}/").json() == document(subscription)
    assert snapshot() == before  # deleting again changes nothing
    back = api.patch(f"{BASE}{subscription_id}/", {"active": True}, format="json").json()
    assert (back["active"], back["disabled_reason"]) == (True, "")


def test_rotation_shows_the_new_secret_once_and_keeps_the_old_one_valid_for_24_hours(api, tenant):
    created = create(api).json()
    old_secret, subscription_id = created["secret"], created["id"]
    before = timezone.now()
    response = api.post(f"{BASE}{subscription_id}/rotate-secret/")
    after = timezone.now()
    assert response.status_code == 200
    body = response.json()
    subscription = Subscription.objects.get()
    assert body == {
        "secret": body["secret"],
        "previous_secret_expires_at": iso(subscription.previous_secret_expires_at),
    }
    new_secret = body["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    organisation_id = tenant.organisation.pk
    assert unseal(subscription.secret_sealed, organisation_id) == new_secret
    assert unseal(subscription.previous_secret_sealed, organisation_id) == old_secret
    assert before + timedelta(hours=24) <= subscription.previous_secret_expires_at <= after + timedelta(hours=24)
    assert (
        api.get(f"{BASE}{subscription_id}/").json()["previous_secret_expires_at"] == body["previous_secret_expires_at"]
    )
    assert new_secret not in api.get(f"{BASE}{subscription_id}/").content.decode()

    # deliveries are signed with both until the grace ends, then with the new one only
    expires = subscription.previous_secret_expires_at
    assert signing_secrets(subscription, expires - timedelta(seconds=1)) == [new_secret, old_secret]
    assert signing_secrets(subscription, expires) == [new_secret]

    # a second rotation within the grace: the first secret stops at once, the second is the previous one
    third = api.post(f"{BASE}{subscription_id}/rotate-secret/").json()["secret"]
    subscription.refresh_from_db()
    assert signing_secrets(subscription, timezone.now()) == [third, new_secret]


@pytest.mark.django_db(transaction=True)  # the send runs after the service's commit, as in production
def test_send_test_delivers_a_signed_webhook_test_event_to_the_receiver(api, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    receiver = HTTPServer(host="127.0.0.1", port=0)
    receiver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    receiver.start()
    try:
        created = create(api, url=receiver.url_for("/hook"), events=["employee.created"]).json()
        response = api.post(f"{BASE}{created['id']}/test/")
    finally:
        receiver.stop()
    assert response.status_code == 200, response.content
    delivery = Delivery.objects.get()
    assert response.json() == {
        "id": str(delivery.pk),
        "event_id": str(delivery.event_id),
        "event_type": "webhook.test",
        "state": "delivered",
        "attempts": 1,
        "last_status_code": 204,
        "last_error": "",
        "next_attempt_at": None,
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
    }
    [(received, _)] = receiver.log
    event = Webhook(created["secret"]).verify(received.get_data(), dict(received.headers))
    assert (event["id"], event["type"]) == (str(delivery.event_id), "webhook.test")
    headers = {name.lower(): value for name, value in received.headers.items()}
    assert documented_recipe()(created["secret"], headers, received.get_data()) is True  # docs' raw HMAC recipe
    assert documented_recipe()(new_webhook_secret(), headers, received.get_data()) is False


def test_another_organisations_subscription_is_404_on_every_call(api, other_tenant, settings):
    theirs = create(other_tenant.api()).json()["id"]
    before = snapshot()
    path = f"{BASE}{theirs}/"
    calls = [
        api.get(path),
        api.patch(path, {"active": False}, format="json"),
        api.delete(path),
        api.post(f"{path}rotate-secret/"),
        api.post(f"{path}test/"),
    ]
    assert [(c.status_code, c.json()["code"]) for c in calls] == [(404, "subscription_not_found")] * 5
    assert api.get(BASE).json()["results"] == []
    assert snapshot() == before
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("junk", ["not-a-uuid", "0", "7c0a55f0-0000-4000-8000-000000000001"])
def test_an_unknown_id_is_404(api, junk):
    response = api.get(f"{BASE}{junk}/")
    assert (response.status_code, response.json()["code"]) == (404, "subscription_not_found")


def test_every_call_needs_integrations_manage(tenant):
    owner = tenant.api()
    subscription_id = create(owner).json()["id"]
    before = snapshot()
    without = tenant.api(scopes=["employees:read", "points:write"])
    path = f"{BASE}{subscription_id}/"
    calls = [
        without.get(BASE),
        without.post(BASE, {"url": HOOK, "events": ["voucher.issued"]}, format="json"),
        without.get(path),
        without.patch(path, {"active": False}, format="json"),
        without.delete(path),
        without.post(f"{path}rotate-secret/"),
        without.post(f"{path}test/"),
    ]
    assert [(c.status_code, c.json()["code"]) for c in calls] == [(403, "insufficient_scope")] * 7
    assert snapshot() == before


def test_a_patch_that_changes_nothing_writes_nothing(api):
    subscription_id = create(api).json()["id"]
    before = snapshot()
    for body in ({}, {"url": HOOK, "events": ["voucher.issued"], "active": True}):
        response = api.patch(f"{BASE}{subscription_id}/", body, format="json")
        assert response.status_code == 200
    assert snapshot() == before


def test_send_test_to_an_inactive_subscription_is_409_and_sends_nothing(api):
    subscription_id = create(api).json()["id"]
    api.delete(f"{BASE}{subscription_id}/")
    response = api.post(f"{BASE}{subscription_id}/test/")
    assert (response.status_code, response.json()["code"]) == (409, "subscription_inactive")
    assert Delivery.objects.count() == 0
