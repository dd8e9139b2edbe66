"""POST /api/v1/events/: rewards through the points service, replays, conflicts, refusals."""

import pytest

from integrations.events.models import Event, Reward, RuleUsage
from integrations.events.tests.factories import EVENTS, event_body, events_nothing_changes, make_rule, make_world
from plum.core.models import OutboxEvent
from points.models import PointsRequest
from points.tests.factories import balance, budget, seed_employees
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def test_a_matching_event_is_credited_at_once(tenant, api):
    make_world(tenant)
    rule = make_rule(tenant)

    response = api.post(EVENTS, event_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    event = Event.objects.get()
    assert body == {
        "event_id": "ev-1",
        "type": "rating.submitted",
        "employee_id": "E1",
        "occurred_at": "2026-12-07T09:30:00Z",
        "received_at": body["received_at"],
        "source": "api",
        "data": {"rating": 5},
        "rewards": [
            {
                "rule": str(rule.id),
                "request_id": f"evt:ev-1:{rule.id}",
                "status": "credited",
                "points": 500,
                "balance_after": 500,
                "code": None,
            }
        ],
    }
    assert event.received_at.isoformat().replace("+00:00", "Z") == body["received_at"]
    request = PointsRequest.objects.get()
    assert (request.request_id, request.source, request.reason, request.status) == (
        f"evt:ev-1:{rule.id}",
        "rule:Top rating",
        "Rated 4 or more",
        "credited",
    )
    assert balance(tenant) == 500
    assert budget(tenant) == 100_000 - 500


def test_the_same_event_again_replays_and_credits_nothing_more(tenant, api):
    make_world(tenant)
    make_rule(tenant)
    first = api.post(EVENTS, event_body(), format="json")

    with events_nothing_changes():
        again = api.post(EVENTS, event_body(), format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert balance(tenant) == 500


def test_the_same_event_id_with_another_body_is_a_conflict(tenant, api):
    make_world(tenant)
    make_rule(tenant)
    api.post(EVENTS, event_body(), format="json")

    with events_nothing_changes():
        response = api.post(EVENTS, event_body(data={"rating": 4}), format="json")

    assert_problem(response, 409, "event_id_conflict", [("event_id", "event_id_conflict")])


def test_an_unknown_employee_is_refused_and_nothing_is_recorded(tenant, api, other_tenant):
    make_world(tenant)
    make_rule(tenant)
    seed_employees(other_tenant, "E9")

    with events_nothing_changes():
        unknown = api.post(EVENTS, event_body(employee_id="E404"), format="json")
        elsewhere = api.post(EVENTS, event_body(employee_id="E9"), format="json")

    assert_problem(unknown, 422, "employee_not_found", [("employee_id", "employee_not_found")])
    assert_problem(elsewhere, 422, "employee_not_found", [("employee_id", "employee_not_found")])


def test_a_malformed_event_names_every_bad_field(tenant, api):
    make_world(tenant)
    body = {"event_id": "x" * 88, "type": "", "employee_id": "E1", "occurred_at": "2026-12-07T09:30:00", "data": []}

    with events_nothing_changes():
        response = api.post(EVENTS, {**body, "colour": "red"}, format="json")

    assert_problem(
        response,
        400,
        "validation_error",
        [
            ("colour", "unknown_field"),
            ("event_id", "invalid"),
            ("type", "invalid"),
            ("occurred_at", "invalid"),
            ("data", "invalid"),
        ],
    )


def test_an_event_no_rule_matches_is_recorded_without_rewards(tenant, api):
    make_world(tenant)
    make_rule(tenant)

    low = api.post(EVENTS, event_body("low", data={"rating": 3}), format="json")
    other_type = api.post(EVENTS, event_body("other", type="survey.completed"), format="json")

    assert (low.status_code, low.json()["rewards"]) == (201, [])
    assert (other_type.status_code, other_type.json()["rewards"]) == (201, [])
    assert PointsRequest.objects.count() == 0
    assert Event.objects.count() == 2


def test_each_matching_rule_rewards_in_name_order_and_a_refusal_spends_nothing(tenant, api):
    """The first two rules' points requests are refused (the first gives its limit slot back, the second has
    none): no request, no slot spent, and the transaction goes on to credit the third rule."""
    make_world(tenant, max_points_per_request=1000)
    limited = make_rule(tenant, "A too many", points=5000, limit={"count": 1, "per": "ever"})
    unlimited = make_rule(tenant, "B too many", points=6000)
    fine = make_rule(tenant, "C fine", points=300)

    response = api.post(EVENTS, event_body(), format="json")

    assert response.status_code == 201
    rewards = [(r["rule"], r["status"], r["points"], r["balance_after"], r["code"]) for r in response.json()["rewards"]]
    assert rewards == [
        (str(limited.id), "refused", 5000, None, "points_out_of_range"),
        (str(unlimited.id), "refused", 6000, None, "points_out_of_range"),
        (str(fine.id), "credited", 300, 300, None),
    ]
    assert list(PointsRequest.objects.values_list("request_id", flat=True)) == [f"evt:ev-1:{fine.id}"]
    assert list(RuleUsage.objects.values_list("rule", "count")) == [(limited.id, 0)]
    assert Reward.objects.get(rule=limited).points_request is None


def test_refusals_of_the_points_service_come_back_with_their_code(tenant, api):
    make_world(tenant, budget=400, employees=("E1", "E2"))
    make_rule(tenant)
    seed_employees(tenant, "E2", status="inactive")

    exhausted = api.post(EVENTS, event_body("ev-1"), format="json")
    inactive = api.post(EVENTS, event_body("ev-2", employee_id="E2"), format="json")

    assert [(r["status"], r["code"]) for r in exhausted.json()["rewards"]] == [("refused", "budget_exhausted")]
    assert [(r["status"], r["code"]) for r in inactive.json()["rewards"]] == [("refused", "employee_inactive")]
    assert (exhausted.status_code, inactive.status_code) == (201, 201)
    assert PointsRequest.objects.count() == 0
    assert budget(tenant) == 400


def test_a_reward_at_the_approval_threshold_waits_for_approval(tenant, api):
    make_world(tenant, approval_threshold=500)
    make_rule(tenant)

    response = api.post(EVENTS, event_body(), format="json")

    assert [(r["status"], r["balance_after"], r["code"]) for r in response.json()["rewards"]] == [
        ("pending_approval", None, None)
    ]
    assert PointsRequest.objects.get().status == "pending_approval"
    assert balance(tenant) == 0


def test_a_limit_refuses_past_its_count_in_the_period(tenant, api):
    make_world(tenant)
    make_rule(tenant, limit={"count": 2, "per": "day"})
    statuses = []
    for n, day in enumerate(["07", "07", "07", "08"]):
        body = event_body(f"ev-{n}", occurred_at=f"2026-12-{day}T09:30:00Z")
        statuses.append([(r["status"], r["code"]) for r in api.post(EVENTS, body, format="json").json()["rewards"]])

    credited, refused = ("credited", None), ("refused", "limit_reached")
    assert statuses == [[credited], [credited], [refused], [credited]]
    assert sorted(RuleUsage.objects.values_list("period", "count")) == [("2026-12-07", 2), ("2026-12-08", 1)]
    assert balance(tenant) == 1500


def test_computed_points_and_rule_windows(tenant, api):
    make_world(tenant)
    make_rule(
        tenant,
        "KPI",
        event_type="kpi.reached",
        conditions=[],
        points={"from": "data.kpi.score", "multiplier": 2.5, "min": 10, "max": 1000},
        starts_at="2026-12-01T00:00:00Z",
        ends_at="2027-01-01T00:00:00Z",
    )
    posts = {
        "in": event_body("in", type="kpi.reached", data={"kpi": {"score": 41}}),
        "low": event_body("low", type="kpi.reached", data={"kpi": {"score": 1}}),
        "text": event_body("text", type="kpi.reached", data={"kpi": {"score": "41"}}),
        "late": event_body("late", type="kpi.reached", data={"kpi": {"score": 41}}, occurred_at="2027-01-01T00:00:00Z"),
    }
    points = {
        name: [r["points"] for r in api.post(EVENTS, b, format="json").json()["rewards"]] for name, b in posts.items()
    }

    assert points == {"in": [103], "low": [10], "text": [], "late": []}  # 102.5 rounds half up


def test_the_outbox_gets_the_event_with_its_rewards(tenant, api):
    make_world(tenant)
    make_rule(tenant)

    response = api.post(EVENTS, event_body(), format="json")

    outbox = OutboxEvent.objects.get(event_type="event.received")
    assert (outbox.aggregate_type, outbox.aggregate_id) == ("event", str(Event.objects.get().id))
    assert outbox.payload == response.json()
    assert OutboxEvent.objects.filter(event_type="points_request.credited").count() == 1


def test_posting_needs_points_write(tenant):
    make_world(tenant)
    make_rule(tenant)
    reader = tenant.api(scopes=["points:read"])

    with events_nothing_changes():
        response = reader.post(EVENTS, event_body(), format="json")

    assert_problem(response, 403, "insufficient_scope")


def test_conditions_on_the_employee_read_their_attributes_as_the_event_arrives(tenant, api):
    make_world(tenant, employees=())
    seed_employees(tenant, "E1", business_unit="SALES", country="IN", department="Field", hire_date="2019-03-01")
    seed_employees(tenant, "E2", business_unit="OPS", country="IN", department="Field", hire_date="2019-03-01")
    make_rule(
        tenant,
        "Sales veterans",
        conditions=[
            {"field": "employee.business_unit", "op": "eq", "value": "SALES"},
            {"field": "employee.hire_date", "op": "lt", "value": "2020-01-01"},
            {"field": "employee.role", "op": "exists", "value": False},
            {"field": "employee.cost_centre", "op": "exists", "value": False},
        ],
    )

    sales = api.post(EVENTS, event_body("ev-1"), format="json")
    ops = api.post(EVENTS, event_body("ev-2", employee_id="E2"), format="json")

    assert [r["status"] for r in sales.json()["rewards"]] == ["credited"]
    assert ops.json()["rewards"] == []


def test_data_too_deep_or_with_a_nul_is_refused_not_a_server_error(tenant, api):
    make_world(tenant)
    deep: dict = {}
    inner = deep
    for _ in range(100):
        inner["a"] = inner = {}

    with events_nothing_changes():
        answers = [api.post(EVENTS, event_body("deep", data=deep), format="json")]
        answers.append(api.post(EVENTS, event_body("nul", data={"a": "x\x00"}), format="json"))

    for answer in answers:
        assert_problem(answer, 400, "validation_error", [("data", "invalid")])
