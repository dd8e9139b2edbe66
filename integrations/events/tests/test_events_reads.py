"""GET /api/v1/events/ and /events/{event_id}/: filters (strict), cursor pages, no N+1, tenancy, scopes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.events.tests.factories import EVENTS, event_body, make_rule, make_world
from points.tests.factories import seed_employees
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tenant, api):
    """Three events of two types for two employees, posted in this order."""
    make_world(tenant, employees=("E1", "E2"))
    make_rule(tenant)
    make_rule(tenant, "Also", points=20)
    posted = [
        api.post(EVENTS, event_body("ev-1"), format="json"),
        api.post(EVENTS, event_body("ev-2", employee_id="E2"), format="json"),
        api.post(EVENTS, event_body("ev-3", type="survey.completed", data={}), format="json"),
    ]
    assert [p.status_code for p in posted] == [201, 201, 201]
    return {p.json()["event_id"]: p.json() for p in posted}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["event_id"] for e in response.json()["results"]]


def test_list_newest_first_with_the_rewards_as_posted(api, history):
    response = api.get(EVENTS)

    assert response.json() == {
        "results": [history[e] for e in ("ev-3", "ev-2", "ev-1")],
        "next": None,
        "previous": None,
    }


def test_filters(api, history):
    assert ids(api.get(EVENTS, {"type": "rating.submitted"})) == ["ev-2", "ev-1"]
    assert ids(api.get(EVENTS, {"employee_id": "E2"})) == ["ev-2"]
    assert ids(api.get(EVENTS, {"received_since": history["ev-2"]["received_at"]})) == ["ev-3", "ev-2"]
    assert ids(api.get(EVENTS, {"received_since": "2999-01-01T00:00:00+05:30"})) == []


@pytest.mark.parametrize(
    ("parameter", "value", "code"),
    [
        ("typ", "x", "unknown_parameter"),
        ("employee", "E1", "unknown_parameter"),
        ("received_since", "yesterday", "invalid"),
        ("received_since", "2026-13-01T00:00:00Z", "invalid"),
        ("page_size", "0", "invalid"),
    ],
)
def test_an_unknown_or_unparsable_parameter_is_a_400_naming_it(api, history, parameter, value, code):
    assert_problem(api.get(EVENTS, {parameter: value}), 400, "validation_error", [(parameter, code)])


def test_cursor_pages(api, history):
    first = api.get(EVENTS, {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert [e["event_id"] for e in first["results"]] == ["ev-3", "ev-2"]
    assert [e["event_id"] for e in second["results"]] == ["ev-1"]
    assert second["next"] is None


def test_a_page_costs_the_same_queries_for_3_and_33_events(tenant, api, history):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(EVENTS, {"page_size": 500}).status_code == 200
        return len(captured)

    few = page_queries()
    seed_employees(tenant, *[f"M{n}" for n in range(10)])
    for n in range(30):
        assert api.post(EVENTS, event_body(f"more-{n}", employee_id=f"M{n % 10}"), format="json").status_code == 201
    assert len(api.get(EVENTS, {"page_size": 500}).json()["results"]) == 33
    assert page_queries() == few


def test_one_event_by_its_event_id(api, history):
    assert api.get(f"{EVENTS}ev-2/").json() == history["ev-2"]
    assert_problem(api.get(f"{EVENTS}nope/"), 404, "event_not_found")
    assert_problem(api.get(f"{EVENTS}%00/"), 404, "event_not_found")


def test_another_organisations_events_are_not_found(api, history, other_tenant):
    theirs = other_tenant.api()

    assert_problem(theirs.get(f"{EVENTS}ev-1/"), 404, "event_not_found")
    assert theirs.get(EVENTS).json()["results"] == []


def test_reading_needs_points_read(tenant, history):
    writer = tenant.api(scopes=["points:write"])

    assert_problem(writer.get(EVENTS), 403, "insufficient_scope")
    assert_problem(writer.get(f"{EVENTS}ev-1/"), 403, "insufficient_scope")
