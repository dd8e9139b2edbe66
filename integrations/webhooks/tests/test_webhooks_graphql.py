"""GraphQL `webhooks`: the organisation's subscriptions as REST shows them, never a secret, scope
integrations:manage, a fixed number of queries whatever the page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.webhooks.api.graphql import WebhookSubscriptionNode
from integrations.webhooks.models import Subscription
from plum.core.keys import new_webhook_secret, seal
from plum.core.timefmt import api_time

pytestmark = pytest.mark.django_db

QUERY = """
query($first: Int, $active: Boolean) {
  webhooks(first: $first, active: $active) {
    totalCount
    edges { node { id subscriptionId url events active disabledReason failingSince previousSecretExpiresAt
                   createdAt updatedAt } }
  }
}
"""


def graphql(client, query, variables=None):
    response = client.post("/graphql/", {"query": query, "variables": variables or {}}, format="json")
    return response.status_code, response.json()


def subscribe(organisation_id, n: int = 0, **fields) -> Subscription:
    return Subscription.objects.create(
        organisation_id=organisation_id,
        url=f"https://93.184.215.14/hook/{n}",
        events=["voucher.issued", "employee.created"],
        secret_sealed=seal(new_webhook_secret(), organisation_id),
        **fields,
    )


def node(s: Subscription) -> dict:
    s.refresh_from_db()
    return {
        "subscriptionId": str(s.pk),
        "url": s.url,
        "events": s.events,
        "active": s.active,
        "disabledReason": s.disabled_reason,
        "failingSince": api_time(s.failing_since) if s.failing_since else None,
        "previousSecretExpiresAt": None,
        "createdAt": api_time(s.created_at),
        "updatedAt": api_time(s.updated_at),
    }


def test_webhooks_lists_the_organisations_subscriptions(api, tenant, other_tenant):
    first = subscribe(tenant.organisation.pk, 1)
    second = subscribe(tenant.organisation.pk, 2, active=False, disabled_reason="Receiver answered 410 Gone")
    subscribe(other_tenant.organisation.pk, 3)
    status, body = graphql(api, QUERY)
    assert status == 200 and "errors" not in body, body
    connection_ = body["data"]["webhooks"]
    assert connection_["totalCount"] == 2
    nodes = [edge["node"] for edge in connection_["edges"]]
    assert [{k: v for k, v in n.items() if k != "id"} for n in nodes] == [node(first), node(second)]
    assert all(n["id"] and n["id"] != n["subscriptionId"] for n in nodes)  # opaque global ids

    status, body = graphql(api, QUERY, {"active": False})
    assert [e["node"]["subscriptionId"] for e in body["data"]["webhooks"]["edges"]] == [str(second.pk)]


def test_the_type_has_no_secret():
    fields = set(WebhookSubscriptionNode._meta.fields)
    assert fields == {
        "id",
        "subscription_id",
        "url",
        "events",
        "active",
        "disabled_reason",
        "failing_since",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    }


def test_webhooks_needs_integrations_manage(tenant):
    subscribe(tenant.organisation.pk)
    status, body = graphql(tenant.api(scopes=["employees:read", "points:read"]), QUERY)
    assert body["data"] is None or body["data"]["webhooks"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]


def test_the_number_of_queries_does_not_grow_with_the_page(api, tenant):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            status, body = graphql(api, QUERY, {"first": 50})
        assert status == 200 and "errors" not in body, body
        return len(captured)

    for n in range(2):
        subscribe(tenant.organisation.pk, n)
    with_two = queries_for_page()
    for n in range(2, 12):
        subscribe(tenant.organisation.pk, n)
    assert queries_for_page() == with_two
