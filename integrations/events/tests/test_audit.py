"""The audit trail of events, rules and hook endpoints: one entry per call, never a secret; an event's entry
lists the rewards it gave (the points requests its rules created leave no entry of their own)."""

import pytest

from integrations.events.models import Event, HookEndpoint, Rule
from integrations.events.tests.factories import EVENTS, RULES, event_body, events_nothing_changes, make_rule, make_world
from integrations.events.tests.test_hook_helpers import (
    DARWINBOX_MAPPING,
    HOOK_ENDPOINTS,
    create_endpoint,
    darwinbox_payload,
    post_hook,
)
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown
from points.models import PointsRequest
from points.tests.factories import make_programme

pytestmark = pytest.mark.django_db


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


def test_an_event_is_one_entry_listing_its_rewards_and_no_entry_per_points_request(tenant, api):
    make_world(tenant)
    top = make_rule(tenant)
    make_programme(tenant, code="P0", budget=0)
    unfunded = make_rule(tenant, "Capped", points=50, programme="P0")
    trail = Trail()

    response = api.post(EVENTS, event_body(), format="json")

    assert response.status_code == 201, response.content
    request = PointsRequest.objects.get()
    assert shown(trail.one()) == {
        **client(tenant),
        "action": "event.received",
        "object_type": "event",
        "object_id": "ev-1",
        "changes": {
            "event_id": [None, "ev-1"],
            "type": [None, "rating.submitted"],
            "employee_id": [None, "E1"],
            "occurred_at": [None, "2026-12-07T09:30:00+00:00"],
            "data": [None, {"rating": 5}],
            "source": [None, "api"],
            "rewards": [
                None,
                [
                    {
                        "rule": str(unfunded.id),
                        "request_id": f"evt:ev-1:{unfunded.id}",
                        "points_request": None,
                        "status": "refused",
                        "points": 50,
                        "refusal": "budget_exhausted",
                    },
                    {
                        "rule": str(top.id),
                        "request_id": f"evt:ev-1:{top.id}",
                        "points_request": str(request.id),
                        "status": "credited",
                        "points": 500,
                        "refusal": None,
                    },
                ],
            ],
        },
    }


def test_a_replay_a_conflict_and_an_unknown_employee_leave_no_entry(tenant, api):
    make_world(tenant)
    make_rule(tenant)
    assert api.post(EVENTS, event_body(), format="json").status_code == 201
    trail = Trail()
    with events_nothing_changes():
        assert api.post(EVENTS, event_body(), format="json").status_code == 200
        assert api.post(EVENTS, event_body(data={"rating": 4}), format="json").status_code == 409
        assert api.post(EVENTS, event_body("ev-2", employee_id="NOBODY"), format="json").status_code == 422
    trail.assert_none()


def test_rules_created_changed_and_deactivated_once_each(tenant, api):
    make_world(tenant)
    trail = Trail()
    created = api.post(RULES, rule_payload(), format="json")
    assert created.status_code == 201, created.content
    rule = Rule.objects.get()
    assert shown(trail.one()) == {
        **client(tenant),
        "action": "reward_rule.created",
        "object_type": "reward_rule",
        "object_id": str(rule.id),
        "changes": {
            "name": [None, "Top rating"],
            "event_type": [None, "rating.submitted"],
            "conditions": [None, [{"field": "data.rating", "op": "gte", "value": 4}]],
            "points": [None, 500],
            "programme": [None, "P1"],
            "reason": [None, "Rated 4 or more"],
            "active": [None, True],
        },
    }
    make_programme(tenant, code="P2", budget=10)

    trail = Trail()
    assert api.patch(f"{RULES}{rule.id}/", {"points": 700, "programme": "P2"}, format="json").status_code == 200
    assert shown(trail.one())["changes"] == {"points": [500, 700], "programme": ["P1", "P2"]}
    trail = Trail()
    assert api.patch(f"{RULES}{rule.id}/", {"points": 700}, format="json").status_code == 200
    trail.assert_none()  # nothing changed

    trail = Trail()
    assert api.delete(f"{RULES}{rule.id}/").status_code in (200, 204)
    assert (trail.one().action, trail.one().changes) == ("reward_rule.deactivated", {"active": [True, False]})
    trail = Trail()
    assert api.delete(f"{RULES}{rule.id}/").status_code in (200, 204)
    trail.assert_none()


def test_an_invalid_rule_leaves_no_entry_and_changes_nothing(tenant, api):
    make_world(tenant)
    trail = Trail()
    assert api.post(RULES, rule_payload(programme="NOPE"), format="json").status_code == 422
    trail.assert_none()
    assert not Rule.objects.exists()


def rule_payload(**fields) -> dict:
    return {
        "name": "Top rating",
        "event_type": "rating.submitted",
        "conditions": [{"field": "data.rating", "op": "gte", "value": 4}],
        "points": 500,
        "programme": "P1",
        "reason": "Rated 4 or more",
        **fields,
    }


MAPPING = {
    "event_id": "/id",
    "type": "=kpi.threshold_crossed",
    "employee_id": "/employee/code",
    "occurred_at": "/ts",
    "data": "/payload",
}


def test_hook_endpoints_are_audited_without_their_secret(tenant, api):
    trail = Trail()
    made = api.post(HOOK_ENDPOINTS, {"name": "Darwinbox", "mapping": MAPPING}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "hook_endpoint.created",
        "object_type": "hook_endpoint",
        "object_id": body["id"],
        "changes": {"name": [None, "Darwinbox"], "mapping": [None, MAPPING], "active": [None, True]},
    }
    assert_nothing_secret(entry, body["secret"], body["secret"].removeprefix("whsec_"))

    url = f"{HOOK_ENDPOINTS}{body['id']}/"
    trail = Trail()
    rotated = api.post(f"{url}rotate-secret/")
    assert rotated.status_code == 200
    entry = trail.one()
    assert (entry.action, entry.changes) == ("hook_endpoint.secret_rotated", {})
    assert_nothing_secret(entry, rotated.json()["secret"], body["secret"])

    trail = Trail()
    assert api.patch(url, {"name": "Darwinbox KPIs"}, format="json").status_code == 200
    assert shown(trail.one())["changes"] == {"name": ["Darwinbox", "Darwinbox KPIs"]}
    trail = Trail()
    assert api.patch(url, {"name": "Darwinbox KPIs"}, format="json").status_code == 200
    trail.assert_none()

    trail = Trail()
    assert api.delete(url).status_code in (200, 204)
    assert shown(trail.one())["changes"] == {"active": [True, False]}
    assert HookEndpoint.objects.get().active is False


def test_a_signed_delivery_is_one_event_entry_by_its_endpoint_and_a_repeat_none(tenant, api):
    make_world(tenant)
    make_rule(tenant, "KPI met", event_type="kpi.threshold_crossed", conditions=[], points=500)
    made = create_endpoint(api, DARWINBOX_MAPPING)
    trail = Trail()
    response = post_hook(made["url"], darwinbox_payload(), made["secret"], webhook_id="msg_1")
    assert response.status_code == 201, response.content
    entry = trail.one()
    assert (entry.actor_kind, entry.actor_id, entry.actor_name) == ("system", None, f"hook:{made['id']}")
    assert (entry.action, entry.object_type, entry.object_id) == ("event.received", "event", "dbx-evt-1001")
    assert [r["status"] for r in entry.changes["rewards"][1]] == ["credited"]
    assert_nothing_secret(entry, made["secret"])

    trail = Trail()
    assert post_hook(made["url"], darwinbox_payload(), made["secret"], webhook_id="msg_1").status_code == 200
    assert post_hook(made["url"], darwinbox_payload(), "whsec_" + "A" * 32, webhook_id="msg_2").status_code == 401
    trail.assert_none()
    assert Event.objects.count() == 1
