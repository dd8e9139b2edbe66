"""Every events and rules endpoint, and the `events` and `rules` GraphQL fields, refuse: no token, an expired
token, a token without the call's scope, and a token of another organisation; none of them changes anything
of the victim's. REST and GRAPHQL are there for tests/test_access_matrix.py's coverage check."""

import pytest

from integrations.events.models import Event, Reward, Rule, RuleUsage
from integrations.events.tests.factories import EVENTS, RULES, event_body, make_rule, make_world, rule_body
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

READ, WRITE, MANAGE = Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.INTEGRATIONS_MANAGE
RULE = RULES + "{rule}/"
# name -> (method, path ("{event}", "{rule}": the victim's), body or None, scope, names the victim's object)
REST = {
    "events.list": ("get", EVENTS, None, READ, False),
    "events.create": ("post", EVENTS, event_body("intruder", employee_id="VICTIM-E"), WRITE, True),
    "events.retrieve": ("get", EVENTS + "{event}/", None, READ, True),
    "rules.list": ("get", RULES, None, MANAGE, False),
    "rules.create": ("post", RULES, rule_body("Intruder"), MANAGE, False),
    "rules.retrieve": ("get", RULE, None, MANAGE, True),
    "rules.partial_update": ("patch", RULE, {"points": 1}, MANAGE, True),
    "rules.destroy": ("delete", RULE, None, MANAGE, True),
    "rules.test": ("post", RULE + "test/", event_body(employee_id="VICTIM-E"), MANAGE, True),
}
GRAPHQL = {
    "events": ("{ events(first: 10) { edges { node { eventId } } } }", READ),
    "rules": ("{ rules(first: 10) { edges { node { name } } } }", MANAGE),
}
NOT_FOUND = {"events": "event_not_found", "rules": "rule_not_found"}


def victim_state(organisation_id) -> tuple:
    rules = list(Rule.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
    events = list(Event.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
    rewards = list(Reward.objects.filter(event__organisation_id=organisation_id).order_by("pk").values_list())
    return rules, events, rewards, list(RuleUsage.objects.order_by("pk").values_list())


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    make_world(tenant, employees=("VICTIM-E",))
    rule = make_rule(tenant, "Victim rule")
    response = tenant.api().post(EVENTS, event_body("victim-event", employee_id="VICTIM-E"), format="json")
    assert response.status_code == 201
    return tenant, rule


def intruder_world(intruder) -> None:
    make_world(intruder, employees=())


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, rule = victim
    method, path, body, scope, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, tenant, make_tenant, scope, prepare=intruder_world)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(event="victim-event", rule=rule.pk), body, format="json")
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation listing or creating its own: never sees the victim's
        assert response.status_code in (200, 201), response.content
        assert "victim" not in response.content.decode().lower()
    elif call == "events.create" and expected == 404:  # the victim's employee is no employee of the intruder's
        assert (response.status_code, response.json()["code"]) == (422, "employee_not_found")
    elif call == "rules.test" and expected == 404:
        assert (response.status_code, response.json()["code"]) == (404, "rule_not_found")
    else:
        assert response.status_code == expected, response.content
        if expected == 404:
            assert response.json()["code"] == NOT_FOUND[call.split(".")[0]]
    assert victim_state(tenant.organisation.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("field", sorted(GRAPHQL))
def test_graphql_refuses(field, who, victim, make_tenant):
    tenant, _ = victim
    document, scope = GRAPHQL[field]
    client, _, _ = caller(who, tenant, make_tenant, scope, prepare=intruder_world)
    response = client.post("/graphql/", {"query": document}, format="json")
    if who in ("anonymous", "expired"):
        assert response.status_code == 401
    elif who == "no_scope":
        body = response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {field: None}
    else:
        assert response.json() == {"data": {field: {"edges": []}}}
