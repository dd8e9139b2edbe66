"""The deliveries endpoints refuse: no token, an expired token, a token without integrations:manage, and a
token of another organisation (404, its own subscription or delivery id included); none of them changes
anything of the victim's. REST is read by tests/test_access_matrix.py's coverage check."""

import pytest

from integrations.webhooks.models import Delivery, DeliveryAttempt
from integrations.webhooks.tests.test_deliveries_support import make_delivery, make_subscription
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

MANAGE = Scope.INTEGRATIONS_MANAGE
BASE = "/api/v1/webhooks/{subscription}/deliveries/"

# name -> (method, path ("{subscription}", "{delivery}": the victim's), body or None, scope, names the victim's object)
REST = {
    "webhook_deliveries.list": ("get", BASE, None, MANAGE, True),
    "webhook_deliveries.retry": ("post", BASE + "{delivery}/retry/", None, MANAGE, True),
}
GRAPHQL: dict = {}  # deliveries are REST only


def victim_state(organisation_id) -> tuple:
    deliveries = list(Delivery.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
    return deliveries, DeliveryAttempt.objects.filter(delivery__organisation_id=organisation_id).count()


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    subscription, _ = make_subscription(tenant.organisation.pk, "https://93.184.215.14/victim")
    return tenant, subscription, make_delivery(subscription, "failed", attempts=1)


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, subscription, delivery = victim
    method, path, body, _, _ = REST[call]
    client, expected, _ = caller(who, tenant, make_tenant, MANAGE)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(subscription=subscription.pk, delivery=delivery.pk), body)
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json()["code"] == "subscription_not_found"
    assert victim_state(tenant.organisation.pk) == before


@pytest.mark.django_db
def test_another_organisations_delivery_under_my_own_subscription_is_404(victim, make_tenant):
    tenant, _, delivery = victim
    intruder = make_tenant("intruder")
    mine, _ = make_subscription(intruder.organisation.pk, "https://93.184.215.14/mine")
    before = victim_state(tenant.organisation.pk)
    response = intruder.api().post(BASE.format(subscription=mine.pk) + f"{delivery.pk}/retry/")
    assert (response.status_code, response.json()["code"]) == (404, "delivery_not_found")
    assert victim_state(tenant.organisation.pk) == before
