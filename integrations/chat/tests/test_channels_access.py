"""Every channel endpoint refuses: no token, an expired token, a token without integrations:manage, and a token
of another organisation (404 for the victim's channel); none of them changes anything of the victim's, nor
sends anything. REST is read by tests/test_access_matrix.py's coverage check (there is no GraphQL field)."""

import pytest

from integrations.chat.models import Channel, Notification, SlackTeam
from integrations.chat.tests.test_out_support import slack_app
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

MANAGE = Scope.INTEGRATIONS_MANAGE
BASE = "/api/v1/integrations/notifications/"
# A public address: the outbound guard takes it without a network (creating one never calls it).
NEW = {"kind": "slack_webhook", "events": ["voucher.issued"], "webhook_url": "https://93.184.215.14/services/x"}
CHANNEL = BASE + "{channel}/"

# name -> (method, path, body or None, scope, names the victim's object)
REST = {
    "notifications.list": ("get", BASE, None, MANAGE, False),
    "notifications.create": ("post", BASE, NEW, MANAGE, False),
    "notifications.retrieve": ("get", CHANNEL, None, MANAGE, True),
    "notifications.partial_update": ("patch", CHANNEL, {"active": False}, MANAGE, True),
    "notifications.destroy": ("delete", CHANNEL, None, MANAGE, True),
    "notifications.test": ("post", CHANNEL + "test/", None, MANAGE, True),
}
GRAPHQL = {}


def victim_state(organisation_id) -> tuple:
    return (
        list(Channel.objects.filter(organisation_id=organisation_id).order_by("pk").values()),
        list(SlackTeam.objects.filter(organisation_id=organisation_id).values()),
        Notification.objects.filter(organisation_id=organisation_id).count(),
    )


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    return tenant, slack_app(tenant.organisation.pk, events=["voucher.issued"])


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, channel = victim
    method, path, body, _, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, tenant, make_tenant, MANAGE)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(channel=channel.pk), body, format="json")
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation listing or creating its own: never sees the victim's
        assert response.status_code in (200, 201), response.content
        assert str(channel.pk) not in response.content.decode()
    else:
        assert response.status_code == expected, response.content
        if expected == 404:
            assert response.json()["code"] == "channel_not_found"
    assert victim_state(tenant.organisation.pk) == before
