"""The subscriptions' admin: creation shows the secret once on its own page, the URL guard refuses on the
form, and the actions (rotate, re-enable, deactivate, send test) go through the services."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.webhooks.models import Delivery, Subscription
from plum.core.keys import new_webhook_secret, seal, unseal

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:integrations_webhooks_subscription_changelist")
ADD = reverse("admin:integrations_webhooks_subscription_add")


@pytest.fixture(autouse=True)
def no_private_networks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def shown_secret(response) -> str:
    return re.search(r'<code id="signing-secret">(whsec_[^<]+)</code>', response.content.decode()).group(1)


def subscribe(organisation, **fields) -> Subscription:
    return Subscription.objects.create(
        organisation=organisation,
        url="https://93.184.215.14/hook",
        events=["voucher.issued"],
        secret_sealed=seal(new_webhook_secret(), organisation.pk),
        **fields,
    )


def test_creating_shows_the_secret_once_and_stores_it_sealed(admin_client, tenant):
    form = {"organisation": tenant.organisation.pk, "url": "https://93.184.215.14/hook", "events": ["voucher.issued"]}
    response = admin_client.post(ADD, {**form, "active": "on"})
    assert response.status_code == 200
    secret = shown_secret(response)
    subscription = Subscription.objects.get()
    assert (subscription.url, subscription.events, subscription.active) == (form["url"], ["voucher.issued"], True)
    assert unseal(subscription.secret_sealed, tenant.organisation.pk) == secret
    page = admin_client.get(reverse("admin:integrations_webhooks_subscription_change", args=[subscription.pk]))
    assert page.status_code == 200 and secret not in page.content.decode()
    assert "secret_sealed" not in page.content.decode()


def test_a_url_the_guard_refuses_is_a_form_error_and_nothing_is_saved(admin_client, tenant):
    form = {"organisation": tenant.organisation.pk, "url": "http://10.0.0.5/hook", "events": ["voucher.issued"]}
    response = admin_client.post(ADD, {**form, "active": "on"})
    assert response.status_code == 200
    assert "10.0.0.5 is private" in response.content.decode()
    assert Subscription.objects.count() == 0


def test_changing_goes_through_the_service(admin_client, tenant):
    subscription = subscribe(tenant.organisation, active=False, disabled_reason="Receiver answered 410 Gone")
    change = reverse("admin:integrations_webhooks_subscription_change", args=[subscription.pk])
    refused = admin_client.post(change, {"url": "http://127.0.0.1/", "events": ["voucher.issued"], "active": "on"})
    assert refused.status_code == 200 and "127.0.0.1 is loopback" in refused.content.decode()
    saved = admin_client.post(change, {"url": subscription.url, "events": ["employee.created"], "active": "on"})
    assert saved.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.events, subscription.active, subscription.disabled_reason) == (["employee.created"], True, "")


def test_rotate_shows_the_new_secret_and_keeps_the_old_one_for_a_day(admin_client, tenant):
    subscription = subscribe(tenant.organisation)
    old = unseal(subscription.secret_sealed, tenant.organisation.pk)
    response = admin_client.post(CHANGELIST, {"action": "rotate_secret", "_selected_action": [subscription.pk]})
    secret = shown_secret(response)
    subscription.refresh_from_db()
    assert unseal(subscription.secret_sealed, tenant.organisation.pk) == secret != old
    assert unseal(subscription.previous_secret_sealed, tenant.organisation.pk) == old
    assert subscription.previous_secret_expires_at > timezone.now() + timedelta(hours=23)


def test_reenable_and_deactivate(admin_client, tenant):
    failing = subscribe(
        tenant.organisation, active=False, disabled_reason="Failing for 5 days", failing_since=timezone.now()
    )
    admin_client.post(CHANGELIST, {"action": "reenable", "_selected_action": [failing.pk]})
    failing.refresh_from_db()
    assert (failing.active, failing.disabled_reason, failing.failing_since) == (True, "", None)
    admin_client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [failing.pk]})
    failing.refresh_from_db()
    assert (failing.active, failing.disabled_reason) == (False, "")


def test_send_test_creates_a_webhook_test_delivery(admin_client, tenant, django_capture_on_commit_callbacks):
    subscription = subscribe(tenant.organisation)
    with django_capture_on_commit_callbacks(execute=False):  # the send itself is the deliveries tests' business
        response = admin_client.post(CHANGELIST, {"action": "send_test", "_selected_action": [subscription.pk]})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.subscription_id, delivery.event_type) == (subscription.pk, "webhook.test")
