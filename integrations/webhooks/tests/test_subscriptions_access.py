"""Every webhook subscription endpoint and the `webhooks` GraphQL field refuse: no token, an expired token, a
token without integrations:manage, and a token of another organisation; none of them changes anything of
the victim's. REST and GRAPHQL are read by tests/test_access_matrix.py's coverage check."""

import pytest

from integrations.webhooks.models import Delivery, Subscription
from plum.core.keys import new_webhook_secret, seal
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

MANAGE = Scope.INTEGRATIONS_MANAGE
BASE = "/api/v1/webhooks/"
NEW = {"url": "https://93.184.215.14/hook", "events": ["voucher.issued"]}

# name -> (method, path ("{subscription}": the victim's), body or None, scope, names the victim's object)
REST = {
    "webhooks.list": ("get", BASE, None, MANAGE, False),
    "webhooks.create": ("post", BASE, NEW, MANAGE, False),
    "webhooks.retrieve": ("get", BASE + "{subscription}/", None, MANAGE, True),
    "webhooks.partial_update": ("patch", BASE + "{subscription}/", {"active": False}, MANAGE, True),
    "webhooks.destroy": ("delete", BASE + "{subscription}/", None, MANAGE, True),
    "webhooks.rotate_secret": ("post", BASE + "{subscription}/rotate-secret/", None, MANAGE, True),
    "webhooks.test": ("post", BASE + "{subscription}/test/", None, MANAGE, True),
}
GRAPHQL = {"webhooks": ("{ webhooks(first: 10) { edges { node { url } } } }", MANAGE)}


def victim_state(organisation_id) -> tuple:
    subscriptions = list(Subscription.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
    return subscriptions, Delivery.objects.filter(organisation_id=organisation_id).count()


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    organisation_id = tenant.organisation.pk
    subscription = Subscription.objects.create(
        organisation_id=organisation_id,
        url="https://93.184.215.14/victim",
        events=["employee.created"],
        secret_sealed=seal(new_webhook_secret(), organisation_id),
    )
    return tenant, subscription


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, subscription = victim
    method, path, body, _, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, tenant, make_tenant, MANAGE)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(subscription=subscription.pk), body, format="json")
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation listing or creating its own: never sees the victim's
        assert response.status_code in (200, 201)
        assert "victim" not in response.content.decode()
    else:
        assert response.status_code == expected, response.content
        if expected == 404:
            assert response.json()["code"] == "subscription_not_found"
    assert victim_state(tenant.organisation.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
def test_graphql_refuses(who, victim, make_tenant):
    tenant, _ = victim
    client, _, elsewhere = caller(who, tenant, make_tenant, MANAGE)
    document, _ = GRAPHQL["webhooks"]
    response = client.post("/graphql/", {"query": document}, format="json")
    if who in ("anonymous", "expired"):
        assert response.status_code == 401
    elif who == "no_scope":
        body = response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {"webhooks": None}
    else:
        assert response.json() == {"data": {"webhooks": {"edges": []}}}
