"""The rules' language: each op, missing fields, computed points, and nothing ever run as code."""

import pytest

from integrations.events import interpreter
from integrations.events.commands import rules as rule_commands

EMPLOYEE = {"business_unit": "SALES", "cost_centre": None, "country": "IN", "department": "Field", "role": None}
EMPLOYEE |= {"hire_date": "2020-02-29"}
DATA = {"rating": 4, "score": 4.0, "flag": True, "team": "blue", "tags": ["a", 1], "at": "2026-12-07T09:30:00+05:30"}
DATA |= {"day": "2026-12-07", "nested": {"deep": {"value": 7}}, "empty": None}


def holds(field, op, value) -> bool:
    return interpreter.check({"field": field, "op": op, "value": value}, DATA, EMPLOYEE)[0]


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("data.rating", "eq", 4, True),
        ("data.score", "eq", 4, True),  # numbers by value
        ("data.flag", "eq", 1, False),  # true is not 1
        ("data.rating", "eq", True, False),
        ("data.team", "ne", "red", True),
        ("data.rating", "gte", 4, True),
        ("data.rating", "gt", 4, False),
        ("data.team", "gt", 1, False),  # text against a number: fails, never an error
        ("data.rating", "lt", "2026-01-01", False),  # a number against a date
        ("data.day", "gte", "2026-12-07", True),
        ("data.at", "lt", "2026-12-07T04:00:00Z", False),  # 09:30+05:30 is 04:00Z
        ("data.at", "lte", "2026-12-07T04:00:00Z", True),
        ("data.at", "eq", "2026-12-07T04:00:00Z", False),  # eq compares the text
        ("data.day", "lt", "2026-12-07T00:00:00Z", False),  # a date against a time: the days
        ("employee.hire_date", "lt", "2021-01-01", True),
        ("data.team", "in", ["blue", "green"], True),
        ("data.rating", "in", [4.0], True),
        ("data.flag", "not_in", [1], True),
        ("data.team", "contains", "lu", True),
        ("data.tags", "contains", 1, True),
        ("data.tags", "contains", True, False),
        ("data.rating", "contains", 4, False),
        ("data.nested.deep.value", "eq", 7, True),
        ("data.nested.deep", "exists", True, True),
        ("data.nested.missing", "exists", False, True),
        ("data.empty", "exists", False, True),  # null counts as missing
        ("data.missing", "ne", 1, False),  # a missing field fails every other op
        ("data.missing", "not_in", [1], False),
        ("data.team.deeper", "eq", "x", False),  # a path through a text
        ("employee.country", "eq", "IN", True),
        ("employee.role", "exists", False, True),
        ("employee.business_unit", "in", ["SALES"], True),
    ],
)
def test_each_op(field, op, value, expected):
    assert holds(field, op, value) is expected


def test_all_conditions_must_hold_and_each_is_explained():
    conditions = [
        {"field": "data.rating", "op": "gte", "value": 4},
        {"field": "data.team", "op": "eq", "value": "red"},
    ]
    verdict = interpreter.evaluate(conditions=conditions, points=500, data=DATA, employee=EMPLOYEE)

    assert verdict == interpreter.Verdict(
        False, None, ("data.rating is 4: gte 4 holds", "data.team is 'blue': eq 'red' fails")
    )
    assert interpreter.matches_quickly(conditions, DATA, EMPLOYEE) is False
    assert interpreter.matches_quickly(conditions[:1], DATA, EMPLOYEE) is True


@pytest.mark.parametrize(
    ("source", "formula", "expected"),
    [
        (41, {"multiplier": 2.5}, 103),  # 102.5: halves away from zero
        (41, {"multiplier": 0.5}, 21),  # 20.5
        (0.1, {"multiplier": 3}, None),  # 0.3 rounds to 0: below 1
        (0.1, {"multiplier": 3, "min": 5}, 5),
        (1e6, {"multiplier": 1, "max": 1000}, 1000),
        (2.675, {"multiplier": 100}, 268),  # decimal arithmetic: no 267.49999
        ("41", {"multiplier": 2}, None),  # text is not a number
        (True, {"multiplier": 2}, None),
        (None, {"multiplier": 2}, None),
    ],
)
def test_computed_points(source, formula, expected):
    points, reason = interpreter.compute_points({"from": "data.v", "min": None, "max": None, **formula}, {"v": source})
    assert points == expected
    assert reason.startswith("points: data.v")


def test_a_missing_source_is_not_a_match_with_its_reason():
    verdict = interpreter.evaluate(conditions=[], points={"from": "data.kpi", "multiplier": 2}, data={}, employee={})
    assert verdict == interpreter.Verdict(False, None, ("points: data.kpi is missing: no points",))


def test_values_are_data_never_code():
    sneaky = "__import__('os').system('touch /tmp/pwned')"
    assert holds("data.team", "eq", sneaky) is False
    assert interpreter.check({"field": "data.x", "op": "eq", "value": "{{ 7*7 }}"}, {"x": "49"}, {})[0] is False
    assert interpreter.check({"field": "data.x", "op": "eq", "value": "{{ 7*7 }}"}, {"x": "{{ 7*7 }}"}, {})[0] is True


def test_the_commands_and_the_interpreter_speak_the_same_language():
    assert rule_commands.OPERATIONS == interpreter.OPERATIONS
    assert rule_commands.EMPLOYEE_FIELDS == interpreter.EMPLOYEE_FIELDS
