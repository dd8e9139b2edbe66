"""/api/v1/integrations/rules/: create, read, change, deactivate, validation when saved, tenancy, scopes."""

import pytest

from integrations.events.models import Rule
from integrations.events.tests.factories import EVENTS, RULES, event_body, events_nothing_changes, make_rule, make_world
from points.tests.factories import make_programme, seed_employees
from tests.support import assert_problem

pytestmark = pytest.mark.django_db

KPI_RULE = {
    "name": "KPI bonus",
    "event_type": "kpi.reached",
    "conditions": [
        {"field": "data.kpi.name", "op": "in", "value": ["sales", "nps"]},
        {"field": "employee.country", "op": "eq", "value": "IN"},
    ],
    "points": {"from": "data.kpi.value", "multiplier": 1.5, "min": 10, "max": 2000},
    "programme": "P1",
    "reason": "KPI reached",
    "limit": {"count": 1, "per": "month"},
    "active": True,
    "starts_at": "2026-12-01T00:00:00Z",
    "ends_at": None,
}


def test_a_rule_is_created_and_read_back(tenant, api):
    make_world(tenant)

    response = api.post(RULES, KPI_RULE, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    rule = Rule.objects.get()
    assert body == {
        **KPI_RULE,
        "id": str(rule.id),
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert (rule.limit_count, rule.limit_per, rule.programme.code) == (1, "month", "P1")
    assert api.get(f"{RULES}{rule.id}/").json() == body
    assert api.get(RULES).json() == {"results": [body], "next": None, "previous": None}


def test_every_bad_field_of_a_rule_is_named(tenant, api):
    make_world(tenant)
    bad = {
        "name": "Broken",
        "event_type": "rating.submitted",
        "conditions": [
            {"field": "data.rating", "op": "between", "value": 4},
            {"field": "employee.salary", "op": "eq", "value": 1},
            {"field": "data.team", "op": "in", "value": "blue"},
            {"field": "data.rating", "op": "gte", "value": "four"},
            {"field": "data.badge", "op": "exists", "value": "yes"},
        ],
        "points": {"from": "employee.role", "multiplier": 0},
        "programme": "P1",
        "limit": {"count": 0, "per": "week"},
    }

    with events_nothing_changes():
        response = api.post(RULES, bad, format="json")

    assert_problem(
        response,
        400,
        "validation_error",
        [
            ("conditions[0].op", "invalid"),
            ("conditions[1].field", "invalid"),
            ("conditions[2].value", "invalid"),
            ("conditions[3].value", "invalid"),
            ("conditions[4].value", "invalid"),
            ("points.from", "invalid"),
            ("points.multiplier", "invalid"),
            ("limit.count", "invalid"),
            ("limit.per", "invalid"),
        ],
    )


def test_an_unknown_programme_and_a_name_in_use_are_refused(tenant, api, other_tenant):
    make_world(tenant)
    make_programme(other_tenant, code="THEIRS")
    make_rule(tenant, "Taken")

    with events_nothing_changes():
        unknown = api.post(RULES, {**KPI_RULE, "programme": "THEIRS"}, format="json")
        taken = api.post(RULES, {**KPI_RULE, "name": "Taken"}, format="json")

    assert_problem(unknown, 422, "programme_not_found", [("programme", "programme_not_found")])
    assert_problem(taken, 409, "rule_name_exists", [("name", "rule_name_exists")])


def test_a_formula_whose_max_is_below_its_min_is_refused_on_create_and_patch(tenant, api):
    make_world(tenant)
    rule = make_rule(tenant)
    inverted = {"from": "data.score", "multiplier": 10, "min": 50, "max": 5}

    with events_nothing_changes():
        created = api.post(RULES, {**KPI_RULE, "name": "Inverted", "points": inverted}, format="json")
        patched = api.patch(f"{RULES}{rule.id}/", {"points": inverted}, format="json")

    for response in (created, patched):
        assert_problem(response, 422, "points_bounds_inverted", [("points.max", "points_bounds_inverted")])


def test_patch_changes_the_fields_sent_and_checks_the_whole_rule(tenant, api):
    make_world(tenant)
    rule = make_rule(tenant)

    changed = api.patch(f"{RULES}{rule.id}/", {"points": 750, "limit": {"count": 2, "per": "year"}}, format="json")
    with events_nothing_changes():
        bad = api.patch(f"{RULES}{rule.id}/", {"conditions": [{"field": "data.x", "op": "gt"}]}, format="json")
        window = api.patch(
            f"{RULES}{rule.id}/",
            {"ends_at": "2020-01-01T00:00:00Z", "starts_at": "2021-01-01T00:00:00Z"},
            format="json",
        )

    assert changed.status_code == 200
    assert (changed.json()["points"], changed.json()["limit"], changed.json()["name"]) == (
        750,
        {"count": 2, "per": "year"},
        "Top rating",
    )
    assert_problem(bad, 400, "validation_error", [("conditions[0].value", "required")])
    assert_problem(window, 400, "validation_error", [("ends_at", "invalid")])


def test_delete_deactivates_and_keeps_the_rules_history(tenant, api):
    make_world(tenant)
    rule = make_rule(tenant)
    api.post(EVENTS, event_body("before"), format="json")

    response = api.delete(f"{RULES}{rule.id}/")
    after = api.post(EVENTS, event_body("after"), format="json")

    assert (response.status_code, response.json()["active"]) == (200, False)
    assert after.json()["rewards"] == []
    assert api.get(f"{EVENTS}before/").json()["rewards"][0]["rule"] == str(rule.id)
    assert api.get(f"{RULES}{rule.id}/").json()["active"] is False


def test_the_dry_run_explains_and_changes_nothing(tenant, api):
    make_world(tenant, employees=())
    seed_employees(tenant, "E1", country="IN")
    rule = api.post(RULES, KPI_RULE, format="json").json()
    event = event_body(type="kpi.reached", data={"kpi": {"name": "sales", "value": 41}})

    with events_nothing_changes():
        hit = api.post(f"{RULES}{rule['id']}/test/", event, format="json")
        miss = api.post(f"{RULES}{rule['id']}/test/", {**event, "data": {"kpi": {"name": "csat"}}}, format="json")
        unknown = api.post(f"{RULES}{rule['id']}/test/", {**event, "employee_id": "E404"}, format="json")

    assert hit.status_code == 200
    assert hit.json() == {
        "matches": True,
        "points": 62,
        "reasons": [
            "data.kpi.name is 'sales': in ['sales', 'nps'] holds",
            "employee.country is 'IN': eq 'IN' holds",
            "points: data.kpi.value (41) x 1.5 = 61.5 → 62",
            "limit: 0 of 1 rewards this month",
        ],
    }
    assert miss.json() == {
        "matches": False,
        "points": None,
        "reasons": [
            "data.kpi.name is 'csat': in ['sales', 'nps'] fails",
            "employee.country is 'IN': eq 'IN' holds",
        ],
    }
    assert_problem(unknown, 422, "employee_not_found", [("employee_id", "employee_not_found")])


def test_another_organisations_rule_is_not_found(tenant, api, other_tenant):
    make_world(other_tenant)
    theirs = make_rule(other_tenant)
    make_world(tenant)
    url = f"{RULES}{theirs.id}/"

    with events_nothing_changes():
        answers = [
            api.get(url),
            api.patch(url, {"points": 1}, format="json"),
            api.delete(url),
            api.post(f"{url}test/", event_body(), format="json"),
        ]

    for answer in answers:
        assert_problem(answer, 404, "rule_not_found")
    assert api.get(RULES).json()["results"] == []


def test_rules_need_integrations_manage(tenant):
    make_world(tenant)
    rule = make_rule(tenant)
    client = tenant.api(scopes=["points:read", "points:write"])

    with events_nothing_changes():
        answers = [client.get(RULES), client.post(RULES, KPI_RULE, format="json"), client.delete(f"{RULES}{rule.id}/")]

    for answer in answers:
        assert_problem(answer, 403, "insufficient_scope")
