"""Builders for the events tests: a world (programme, budget, employees), rules made by the service,
event bodies, and the read-outs the assertions compare."""

from contextlib import contextmanager

from integrations.events import services
from integrations.events.commands import RuleCommand
from integrations.events.models import Event, Reward, Rule, RuleUsage
from points.tests.factories import make_programme, points_state, seed_employees, system

EVENTS = "/api/v1/events/"
RULES = "/api/v1/integrations/rules/"
WHEN = "2026-12-07T09:30:00Z"


def make_world(tenant, *, budget=100_000, employees=("E1",), **programme_fields):
    """Programme P1 funded with `budget`, and active employees."""
    programme = make_programme(tenant, code="P1", budget=budget, **programme_fields)
    if employees:
        seed_employees(tenant, *employees)
    return programme


def rule_body(name="Top rating", **fields) -> dict:
    return {
        "name": name,
        "event_type": "rating.submitted",
        "conditions": [{"field": "data.rating", "op": "gte", "value": 4}],
        "points": 500,
        "programme": "P1",
        "reason": "Rated 4 or more",
        **fields,
    }


def make_rule(tenant, name="Top rating", **fields) -> Rule:
    return services.rule_create(actor=system(tenant), command=RuleCommand.parse(rule_body(name, **fields)))


def event_body(event_id="ev-1", employee_id="E1", type="rating.submitted", data=None, **fields) -> dict:
    return {
        "event_id": event_id,
        "type": type,
        "employee_id": employee_id,
        "occurred_at": WHEN,
        "data": {"rating": 5} if data is None else data,
        **fields,
    }


def events_state() -> dict:
    """Every row an events write may touch: the points world, events, rewards, rules and their usage."""
    return {
        **points_state(),
        "events": list(Event.objects.order_by("id").values()),
        "rewards": list(Reward.objects.order_by("id").values()),
        "rules": list(Rule.objects.order_by("id").values()),
        "usage": list(RuleUsage.objects.order_by("id").values()),
    }


@contextmanager
def events_nothing_changes():
    before = events_state()
    yield
    assert events_state() == before
