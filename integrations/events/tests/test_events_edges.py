"""Events at the edges of what JSON and the path allow: never a 500, never a lost event."""

import json

import pytest

from integrations.events.models import Event, Reward
from integrations.events.tests.factories import EVENTS, event_body, events_nothing_changes, make_rule, make_world
from points.models import PointsRequest
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def test_a_number_too_large_for_json_in_data_is_a_400_naming_data(tenant, api):
    make_world(tenant)
    body = json.dumps(event_body()).replace('"rating": 5', '"rating": 1e400')
    assert "1e400" in body

    with events_nothing_changes():
        response = api.post(EVENTS, body, content_type="application/json")

    assert_problem(response, 400, "validation_error", [("data", "invalid")])


def test_computed_points_above_what_a_request_carries_earn_nothing_and_the_event_is_kept(tenant, api):
    make_world(tenant)
    make_rule(tenant, "Per euro", conditions=[], points={"from": "data.amount", "multiplier": 1})

    response = api.post(EVENTS, event_body(data={"amount": 3_000_000_000}), format="json")

    assert (response.status_code, response.json()["rewards"]) == (201, [])
    assert (Event.objects.count(), Reward.objects.count(), PointsRequest.objects.count()) == (1, 0, 0)


def test_the_dry_run_says_why_points_above_the_ceiling_earn_nothing(tenant, api):
    make_world(tenant)
    rule = make_rule(tenant, "Per euro", conditions=[], points={"from": "data.amount", "multiplier": 1})

    response = api.post(f"/api/v1/integrations/rules/{rule.id}/test/", event_body(data={"amount": 3e9}), format="json")

    assert response.status_code == 200
    assert (response.json()["matches"], response.json()["points"]) == (False, None)
    assert response.json()["reasons"][-1].endswith("above 2,000,000,000: no points")


def test_an_event_id_holding_a_slash_reads_back(tenant, api):
    make_world(tenant)
    make_rule(tenant)
    assert api.post(EVENTS, event_body("kpi/2026/1"), format="json").status_code == 201

    response = api.get(f"{EVENTS}kpi%2F2026%2F1/")

    assert (response.status_code, response.json()["event_id"]) == (200, "kpi/2026/1")
