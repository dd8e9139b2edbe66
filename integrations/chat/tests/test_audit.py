"""The audit trail of notification channels: one entry per call, never a write-only field's value (Slack
and Teams secrets, tokens, webhook URLs), only the names of those sent."""

import pytest

from integrations.chat.models import Channel
from integrations.chat.tests import test_out_support as support
from integrations.chat.tests.test_out_support import BOT, CHANNEL, SIGNING, TEAM
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown

_loopback = support._loopback  # autouse: 127.0.0.0/8 allowed, Slack's API on the local server

pytestmark = pytest.mark.django_db
BASE = "/api/v1/integrations/notifications/"
WEBHOOK_URL = "https://93.184.215.14/services/T0/B0/xyzzy"
SECRETS = (BOT, SIGNING, WEBHOOK_URL, "xyzzy")


@pytest.fixture(autouse=True)
def public_only(settings, _loopback):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


def test_a_channel_created_changed_and_deleted_without_its_secrets(api, tenant):
    body = {"kind": "slack_app", "events": ["points_request.credited"], "bot_token": BOT, "signing_secret": SIGNING}
    body |= {"team_id": TEAM, "slack_channel_id": CHANNEL}
    trail = Trail()
    made = api.post(BASE, body, format="json")
    assert made.status_code == 201, made.content
    channel_id = made.json()["id"]
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "notification_channel.created",
        "object_type": "notification_channel",
        "object_id": channel_id,
        "changes": {
            "kind": [None, "slack_app"],
            "events": [None, ["points_request.credited"]],
            "target": [None, "channel"],
            "approvers": [None, []],
            "templates": [None, {}],
            "active": [None, True],
            "disabled_reason": [None, ""],
            "team_id": [None, TEAM],
            "slack_channel_id": [None, CHANNEL],
            "write_only_fields_set": [None, ["bot_token", "signing_secret"]],
        },
    }
    assert_nothing_secret(entry, *SECRETS)
    url = f"{BASE}{channel_id}/"

    trail = Trail()
    changed = api.patch(url, {"bot_token": BOT, "active": False}, format="json")
    assert changed.status_code == 200, changed.content
    entry = trail.one()
    assert (entry.action, entry.changes) == (
        "notification_channel.updated",
        {"active": [True, False], "write_only_fields_set": [None, ["bot_token"]]},
    )
    assert_nothing_secret(entry, *SECRETS)
    trail = Trail()
    assert api.patch(url, {"active": False}, format="json").status_code == 200
    assert api.patch(url, {"approvers": ["NOBODY"]}, format="json").status_code == 422
    trail.assert_none()
    assert Channel.objects.get().approvers == []

    trail = Trail()
    assert api.delete(url).status_code == 204
    entry = trail.one()
    assert (entry.action, entry.object_id, entry.changes["kind"]) == (
        "notification_channel.deleted",
        channel_id,
        ["slack_app", None],
    )
    assert_nothing_secret(entry, *SECRETS)


def test_a_webhook_channel_never_shows_its_url(api):
    body = {"kind": "slack_webhook", "events": ["points_request.credited"], "webhook_url": WEBHOOK_URL}
    trail = Trail()
    assert api.post(BASE, body, format="json").status_code == 201
    entry = trail.one()
    assert entry.changes["write_only_fields_set"] == [None, ["webhook_url"]]
    assert_nothing_secret(entry, *SECRETS)
