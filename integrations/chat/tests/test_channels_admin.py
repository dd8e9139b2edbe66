"""The channels' admin: a form with each kind's write-only fields (sealed, never shown back), the API's checks
as form errors with nothing saved, the "send test message" action through the service; notifications
read-only with their state, attempts and errors, and their filters."""

import pytest
from django.urls import reverse
from werkzeug import Response

from integrations.chat.models import Channel, Notification
from integrations.chat.tests import test_out_support as support
from integrations.chat.tests.test_out_support import BOT, SIGNING, make_channel, slack_app
from plum.core.keys import unseal

_loopback = support._loopback  # autouse: 127.0.0.0/8 allowed, Slack's API on the local server

pytestmark = pytest.mark.django_db
ADD = reverse("admin:integrations_chat_channel_add")
CHANGELIST = reverse("admin:integrations_chat_channel_changelist")
NOTIFICATIONS = reverse("admin:integrations_chat_notification_changelist")


def form(tenant, **fields) -> dict:
    values = {"organisation": tenant.organisation.pk, "kind": "slack_webhook", "events": ["points_request.credited"]}
    return {**values, "target": "channel", "approvers": "", "templates": "{}", "active": "on", **fields}


def test_adding_a_channel_seals_the_secrets_and_never_shows_them(admin_client, tenant, httpserver):
    url = httpserver.url_for("/services/T0/B0/very-secret")
    response = admin_client.post(ADD, form(tenant, webhook_url=url, signing_secret=SIGNING))
    assert response.status_code == 302, response.content.decode()[-3000:]
    channel = Channel.objects.get()
    assert unseal(channel.webhook_url_sealed, tenant.organisation.pk) == url
    assert unseal(channel.signing_secret_sealed, tenant.organisation.pk) == SIGNING
    for page in (CHANGELIST, reverse("admin:integrations_chat_channel_change", args=[channel.pk])):
        text = admin_client.get(page).content.decode()
        assert "very-secret" not in text and SIGNING not in text and "_sealed" not in text


def test_the_kinds_rules_are_form_errors_and_nothing_is_saved(admin_client, tenant):
    response = admin_client.post(ADD, form(tenant, kind="slack_app", bot_token=BOT))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("Required for slack_app channels.") == 3  # signing_secret, team_id, slack_channel_id
    response = admin_client.post(ADD, form(tenant, webhook_url="http://10.0.0.5/hook"))
    assert "10.0.0.5 is private" in response.content.decode()
    assert Channel.objects.count() == 0


def test_a_saved_channel_keeps_its_secrets_when_the_fields_are_left_empty(admin_client, tenant):
    channel = slack_app(tenant.organisation.id, events=["voucher.issued"])
    page = reverse("admin:integrations_chat_channel_change", args=[channel.pk])
    values = form(tenant, kind="slack_app", team_id=channel.team_id, slack_channel_id=channel.slack_channel_id)
    response = admin_client.post(page, {**values, "events": ["voucher.issued", "campaign.completed"]})
    assert response.status_code == 302, response.content.decode()[-3000:]
    channel.refresh_from_db()
    assert channel.events == ["voucher.issued", "campaign.completed"]
    assert unseal(channel.bot_token_sealed, tenant.organisation.pk) == BOT


def test_send_test_message_goes_through_the_service(admin_client, tenant, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_response(Response("ok"))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for("/hook"))
    response = admin_client.post(
        CHANGELIST, {"action": "send_test", "_selected_action": [str(channel.pk)]}, follow=True
    )
    assert f"Test message to {channel}: sent (200)." in response.content.decode()
    assert Notification.objects.get().state == "sent" and len(httpserver.log) == 1


def test_notifications_are_read_only_with_their_filters(admin_client, tenant, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_response(Response("invalid_payload", status=400))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for("/hook"))
    admin_client.post(CHANGELIST, {"action": "send_test", "_selected_action": [str(channel.pk)]})
    notification = Notification.objects.get()
    listing = admin_client.get(NOTIFICATIONS + "?state=dead&channel__kind=slack_webhook&event_type=notification.test")
    assert listing.status_code == 200 and "Slack answered 400: invalid_payload" in listing.content.decode()
    detail = admin_client.get(reverse("admin:integrations_chat_notification_change", args=[notification.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:integrations_chat_notification_add")).status_code == 403
    assert admin_client.get(NOTIFICATIONS + "?state=%00").status_code in (200, 302)
