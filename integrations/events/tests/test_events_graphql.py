"""GraphQL `events` and `rules`: the REST documents' fields, filters, scopes, tenancy, no N+1."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.events.tests.factories import EVENTS, event_body, make_rule, make_world
from points.tests.factories import seed_employees
from tests.conftest import graphql

pytestmark = pytest.mark.django_db

EVENTS_QUERY = """query($type: String, $employeeId: String, $since: DateTime, $first: Int) {
  events(type: $type, employeeId: $employeeId, receivedSince: $since, first: $first) {
    totalCount
    edges { node { id eventId type employeeId occurredAt receivedAt source data
      rewards { rule requestId status points balanceAfter code } } }
  }
}"""
RULES_QUERY = """query($active: Boolean) {
  rules(active: $active) { totalCount edges { node { ruleId name eventType conditions points programme reason
    limit { count per } active startsAt endsAt } } }
}"""


def nodes(body, name) -> list[dict]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"][name]["edges"]]


def test_events_as_rest_shows_them(tenant, api):
    make_world(tenant, employees=("E1", "E2"))
    rule = make_rule(tenant)
    posted = api.post(EVENTS, event_body(), format="json").json()
    api.post(EVENTS, event_body("ev-2", employee_id="E2", type="survey.completed"), format="json")

    status, body = graphql(api, EVENTS_QUERY, {"type": "rating.submitted"})

    assert status == 200
    [node] = nodes(body, "events")
    assert node.pop("id") != "ev-1"  # an opaque global id
    assert node == {
        "eventId": "ev-1",
        "type": "rating.submitted",
        "employeeId": "E1",
        "occurredAt": posted["occurred_at"],
        "receivedAt": posted["received_at"],
        "source": "api",
        "data": {"rating": 5},
        "rewards": [
            {
                "rule": str(rule.id),
                "requestId": f"evt:ev-1:{rule.id}",
                "status": "credited",
                "points": 500,
                "balanceAfter": 500,
                "code": None,
            }
        ],
    }
    assert [n["eventId"] for n in nodes(graphql(api, EVENTS_QUERY, {"employeeId": "E2"})[1], "events")] == ["ev-2"]
    assert nodes(graphql(api, EVENTS_QUERY, {"since": "2999-01-01T00:00:00Z"})[1], "events") == []


def test_rules_and_their_filter(tenant, api):
    make_world(tenant)
    make_rule(tenant, limit={"count": 1, "per": "day"})
    old = make_rule(tenant, "Old", active=False, points={"from": "data.kpi", "multiplier": 2})

    active = nodes(graphql(api, RULES_QUERY, {"active": True})[1], "rules")
    inactive = nodes(graphql(api, RULES_QUERY, {"active": False})[1], "rules")

    assert [(r["name"], r["limit"], r["points"], r["programme"]) for r in active] == [
        ("Top rating", {"count": 1, "per": "day"}, 500, "P1")
    ]
    assert inactive == [
        {
            "ruleId": str(old.id),
            "name": "Old",
            "eventType": "rating.submitted",
            "conditions": [{"field": "data.rating", "op": "gte", "value": 4}],
            "points": {"from": "data.kpi", "multiplier": 2.0, "min": None, "max": None},
            "programme": "P1",
            "reason": "Rated 4 or more",
            "limit": None,
            "active": False,
            "startsAt": None,
            "endsAt": None,
        }
    ]


def test_another_organisation_sees_neither(tenant, api, other_tenant):
    make_world(tenant)
    make_rule(tenant)
    api.post(EVENTS, event_body(), format="json")
    theirs = other_tenant.api()

    assert nodes(graphql(theirs, EVENTS_QUERY)[1], "events") == []
    assert nodes(graphql(theirs, RULES_QUERY)[1], "rules") == []


@pytest.mark.parametrize(
    ("query", "name", "scopes"),
    [(EVENTS_QUERY, "events", ["integrations:manage"]), (RULES_QUERY, "rules", ["points:read"])],
)
def test_each_query_needs_its_scope(tenant, query, name, scopes):
    make_world(tenant)
    status, body = graphql(tenant.api(scopes=scopes), query)

    assert body["data"] is None or body["data"][name] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]


def test_a_page_of_events_costs_the_same_queries_for_2_and_20(tenant, api):
    make_world(tenant)
    make_rule(tenant)
    make_rule(tenant, "Second", points=5)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(nodes(graphql(api, EVENTS_QUERY, {"first": 50})[1], "events")) in (2, 20)
        return len(captured)

    seed_employees(tenant, "E2")
    for n in range(2):
        api.post(EVENTS, event_body(f"a-{n}", employee_id=f"E{1 + n}"), format="json")
    few = page_queries()
    for n in range(18):
        api.post(EVENTS, event_body(f"b-{n}", employee_id=f"E{1 + n % 2}"), format="json")
    assert page_queries() == few
