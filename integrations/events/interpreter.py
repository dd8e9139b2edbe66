"""The reward rules' small language, evaluated as data: never `eval`, never a template that runs code.

A rule's conditions are `{field, op, value}` triples and its points a whole number or
`{from, multiplier, min, max}`; commands.rules checks their shape when a rule is saved, and this module
only reads rules already checked. `evaluate` answers whether an event matches, the points it earns and
one reason per step, in words an administrator reads (the dry run shows them).

Semantics (docs/events.md):
- `field` is `data.<dotted path>` into the event's data, or `employee.<attribute>`. A field that is
  missing (or null) fails every condition but `exists: false`.
- `eq`, `ne`, `in`, `not_in` compare JSON values: numbers by value (1 equals 1.0), true is not 1.
- `gt`, `gte`, `lt`, `lte` compare numbers with numbers, and dates (`YYYY-MM-DD`) or times (ISO 8601
  with offset) with dates or times; anything else fails the condition.
- `contains`: a substring of a text, or an item of a list.
- Computed points: the number at `from` x `multiplier`, rounded to the nearest whole number (halves away
  from zero), then raised to `min` and lowered to `max`. A source that is missing or not a number, or
  a result below 1 or above 2,000,000,000, is not a match.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from plum.core.timefmt import parse_aware

OPERATIONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "contains")
EMPLOYEE_FIELDS = ("business_unit", "cost_centre", "country", "department", "role", "hire_date")
MISSING = object()
MOST_POINTS = 2_000_000_000  # what one points request may carry at most (the points app's MAX_POINTS)


@dataclass(frozen=True)
class Verdict:
    matches: bool
    points: int | None
    reasons: tuple[str, ...]


def evaluate(*, conditions: list[dict], points, data: Mapping, employee: Mapping) -> Verdict:
    """Whether an event with `data`, about an employee with the attributes `employee` (EMPLOYEE_FIELDS,
    hire_date as YYYY-MM-DD), matches the conditions, and what the points come to. Every condition is
    evaluated (the dry run explains each); the first that fails decides."""
    reasons, matches = [], True
    for condition in conditions:
        holds, reason = check(condition, data, employee)
        reasons.append(reason)
        matches = matches and holds
    if not matches:
        return Verdict(False, None, tuple(reasons))
    awarded, reason = compute_points(points, data)
    reasons.append(reason)
    return Verdict(awarded is not None, awarded, tuple(reasons))


def matches_quickly(conditions: list[dict], data: Mapping, employee: Mapping) -> bool:
    """The hot path's check: stops at the first condition that fails and words nothing."""
    return all(_holds(c["op"], resolve(c["field"], data, employee), c["value"]) for c in conditions)


def resolve(field: str, data: Mapping, employee: Mapping):
    """The value a field names, or MISSING (null counts as missing)."""
    scope, _, path = field.partition(".")
    value = employee.get(path, MISSING) if scope == "employee" else _walk(data, path)
    return MISSING if value is None else value


def check(condition: dict, data: Mapping, employee: Mapping) -> tuple[bool, str]:
    field, op, expected = condition["field"], condition["op"], condition["value"]
    actual = resolve(field, data, employee)
    holds = _holds(op, actual, expected)
    shown = "missing" if actual is MISSING else _show(actual)
    return holds, f"{field} is {shown}: {op} {_show(expected)} {'holds' if holds else 'fails'}"


def compute_points(points, data: Mapping) -> tuple[int | None, str]:
    """The points a matching event earns and how; None when the formula cannot be applied."""
    if isinstance(points, int):
        return points, f"points: {points}"
    source = _walk(data, points["from"].partition(".")[2])
    if not _is_number(source):
        shown = "missing" if source is MISSING or source is None else f"{_show(source)}, not a number"
        return None, f"points: {points['from']} is {shown}: no points"
    exact = Decimal(str(source)) * Decimal(str(points["multiplier"]))
    whole = int(exact.to_integral_value(rounding=ROUND_HALF_UP))
    if points.get("min") is not None:
        whole = max(whole, points["min"])
    if points.get("max") is not None:
        whole = min(whole, points["max"])
    how = f"points: {points['from']} ({_show(source)}) x {_show(points['multiplier'])} = {exact.normalize():f}"
    if whole < 1:
        return None, f"{how}, {whole} after rounding and bounds: below 1, no points"
    if whole > MOST_POINTS:
        return None, f"{how}, above {MOST_POINTS:,}: no points"
    return whole, f"{how} → {whole}"


def _walk(data: Mapping, path: str):
    value = data
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return MISSING
        value = value[key]
    return value


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(actual, expected) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(actual) and _is_number(expected):
        return actual == expected
    return type(actual) is type(expected) and actual == expected


def _holds(op: str, actual, expected) -> bool:
    if op == "exists":
        return (actual is not MISSING) == expected
    if actual is MISSING:
        return False
    if op == "eq":
        return _same(actual, expected)
    if op == "ne":
        return not _same(actual, expected)
    if op == "in":
        return any(_same(actual, item) for item in expected)
    if op == "not_in":
        return not any(_same(actual, item) for item in expected)
    if op == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        return isinstance(actual, list) and any(_same(item, expected) for item in actual)
    return _ordered(op, actual, expected)


def _ordered(op: str, actual, expected) -> bool:
    pair = _comparable(actual, expected)
    if pair is None:
        return False
    left, right = pair
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def _comparable(actual, expected) -> tuple | None:
    """Both as numbers, both as dates, or both as times; None when they cannot be compared."""
    if _is_number(expected):
        return (actual, expected) if _is_number(actual) else None
    expected_moment = as_moment(expected)
    actual_moment = as_moment(actual) if isinstance(actual, str) else None
    if expected_moment is None or actual_moment is None:
        return None
    if isinstance(expected_moment, datetime) != isinstance(actual_moment, datetime):
        # a date against a time: compare the days (times in UTC)
        return _day(actual_moment), _day(expected_moment)
    return actual_moment, expected_moment


def as_moment(value) -> date | datetime | None:
    """A date (YYYY-MM-DD) or an aware time (ISO 8601 with offset, in UTC), else None."""
    if not isinstance(value, str):
        return None
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return parse_aware(value)


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)
