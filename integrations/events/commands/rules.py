"""A reward rule as saved (POST, PATCH, the admin form) and the event a dry run tests it against.

Everything the interpreter will read is checked here, each error at its own field
(`conditions[0].op`, `points.multiplier`, `limit.per`): an unknown op or field, a value of the wrong
kind for its op, a formula that cannot give points, a bad limit. The interpreter's vocabulary
(interpreter.OPERATIONS, EMPLOYEE_FIELDS) is repeated here by name, as the layers keep the two apart;
tests/test_interpreter.py checks they agree. Whether the programme exists is the service's check.
"""

import math
import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, PlainValidator, StrictBool, ValidationInfo, field_validator

from integrations.events.commands.events import EmployeeId, EventData, EventId, EventType, Moment, checked
from plum.core.commands import Command, rule_error
from plum.core.errors import CoreErrorCode
from plum.core.text import NO_NUL, STORABLE_VISIBLE, storable_text
from plum.core.timefmt import parse_aware

OPERATIONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "contains")
ORDERED = ("gt", "gte", "lt", "lte")
EMPLOYEE_FIELDS = ("business_unit", "cost_centre", "country", "department", "role", "hire_date")
DATA_PATH = re.compile(r"^data(\.[A-Za-z0-9_-]{1,64}){1,8}$")
MAX_CONDITIONS = 20
MAX_LIST_ITEMS = 100
MAX_POINTS = 2_000_000_000
MAX_MULTIPLIER = 1_000_000
NAME_MAX_LENGTH = 59  # the points request's source, rule:<name>, has 64 characters
REASON_MAX_LENGTH = 500
PROGRAMME_MAX_LENGTH = 128
LIMIT_PERIODS = ("day", "month", "year", "ever")
FIELD_PATTERN = r"^(data(\.[A-Za-z0-9_-]{1,64}){1,8}|employee\.(" + "|".join(EMPLOYEE_FIELDS) + "))$"
FIELD_MESSAGE = f"data.<path> (dotted, up to 8 keys) or employee.<{'|'.join(EMPLOYEE_FIELDS)}>."


def _whole(value, low: int = 1, high: int = MAX_POINTS) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _scalar(value) -> bool:
    return isinstance(value, bool) or _number(value) or (isinstance(value, str) and storable_text(value))


def _moment_text(value) -> bool:
    """A date as YYYY-MM-DD, or a time in ISO 8601 with its offset."""
    if not isinstance(value, str):
        return False
    if len(value) == 10:
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return False
        return True
    return parse_aware(value) is not None


def field_ok(value) -> bool:
    if not isinstance(value, str):
        return False
    scope, _, name = value.partition(".")
    return (scope == "employee" and name in EMPLOYEE_FIELDS) or DATA_PATH.match(value) is not None


FieldName = checked(str, field_ok, f"Unknown field: {FIELD_MESSAGE}", maxLength=600, pattern=FIELD_PATTERN)
Operation = checked(
    Literal[OPERATIONS], lambda value: value in OPERATIONS, f"Unknown op: one of {', '.join(OPERATIONS)}."
)
Whole = checked(int, _whole, f"A whole number from 1 to {MAX_POINTS:,}.", minimum=1, maximum=MAX_POINTS)


def _value_problem(op: str, field: str | None, value) -> str | None:
    """What is wrong with a condition's value for its op, or None."""
    if op == "exists":
        return None if isinstance(value, bool) else "True or false (for exists)."
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST_ITEMS or not all(map(_scalar, value)):
            return f"A list of 1 to {MAX_LIST_ITEMS} strings, numbers or booleans (for {op})."
        return None
    if op in ORDERED:
        if field == "employee.hire_date":
            return None if _moment_text(value) else f"A date as YYYY-MM-DD (for {op} on employee.hire_date)."
        if _number(value) or _moment_text(value):
            return None
        return f"A number, a date (YYYY-MM-DD) or a time in ISO 8601 with offset (for {op})."
    return None if _scalar(value) else f"A string, a number or a boolean (for {op})."


def _pattern(*words: str) -> str:
    return "^(" + "|".join(re.escape(word) for word in words) + ")$"


_SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
_DAY, _TIME = {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}
_MOMENT = {"anyOf": [{"type": "number"}, _DAY, _TIME]}
# What _value_problem and _op_fits_field check, as the schema says it (patterns, not enums: drf-spectacular
# would hoist an enum into a component of its own).
CONDITION_SHAPES = [
    {"properties": {"op": {"pattern": _pattern("exists")}, "value": {"type": "boolean"}}},
    {
        "properties": {
            "op": {"pattern": _pattern("in", "not_in")},
            "value": {"type": "array", "minItems": 1, "maxItems": MAX_LIST_ITEMS, "items": _SCALAR},
        }
    },
    {"properties": {"field": {"pattern": r"^data\."}, "op": {"pattern": _pattern(*ORDERED)}, "value": _MOMENT}},
    {
        "properties": {
            "field": {"pattern": _pattern("employee.hire_date")},
            "op": {"pattern": _pattern(*ORDERED)},
            "value": _DAY,
        }
    },
    {"properties": {"op": {"pattern": _pattern("eq", "ne", "contains")}, "value": _SCALAR}},
]


class Condition(Command):
    """All of a rule's conditions must hold."""

    model_config = ConfigDict(json_schema_extra={"required": ["field", "op", "value"], "oneOf": CONDITION_SHAPES})

    field: Annotated[FieldName, Field(description=FIELD_MESSAGE)]
    op: Operation
    value: Any = Field(description="exists: a boolean; in/not_in: a list; gt/gte/lt/lte: a number, date or time")

    @field_validator("op", mode="after")
    @classmethod
    def _op_fits_field(cls, op: str, info: ValidationInfo) -> str:
        field = info.data.get("field", "")
        if op in ORDERED and field.startswith("employee.") and field != "employee.hire_date":
            raise rule_error(
                CoreErrorCode.INVALID, f"Not with {field}, a text: {op} compares numbers, dates and times."
            )
        return op

    @field_validator("value", mode="after")
    @classmethod
    def _value_fits_op(cls, value, info: ValidationInfo):
        op = info.data.get("op")
        if op is not None and (problem := _value_problem(op, info.data.get("field"), value)):
            raise rule_error(CoreErrorCode.INVALID, problem)
        return value


Source = checked(
    str,
    lambda v: isinstance(v, str) and DATA_PATH.match(v) is not None,
    "data.<path> of a number.",
    maxLength=600,
    pattern=DATA_PATH.pattern,
)
Multiplier = checked(
    float,
    lambda v: _number(v) and 0 < v <= MAX_MULTIPLIER,
    f"A number above 0 and at most {MAX_MULTIPLIER:,}.",
    exclusiveMinimum=0,
    maximum=MAX_MULTIPLIER,
)


class PointsFormula(Command):
    """Points computed from the event: the number at `from` x `multiplier`, rounded, within min and max."""

    source: Annotated[Source, Field(alias="from", description="data.<path> of a number in the event")]
    multiplier: Multiplier
    min: Whole | None = None
    max: Whole | None = None

    def as_stored(self) -> dict:
        return {"from": self.source, "multiplier": self.multiplier, "min": self.min, "max": self.max}


def _points(value):
    """A whole number, or a formula (its errors located inside it: points.multiplier)."""
    if isinstance(value, dict):
        return PointsFormula.model_validate(value).as_stored()
    if not _whole(value):
        raise rule_error(CoreErrorCode.INVALID, f"A whole number from 1 to {MAX_POINTS:,}, or {{from, multiplier}}.")
    return value


_WholePoints = Annotated[int, Field(ge=1, le=MAX_POINTS)]  # the schema's bounds of a fixed number of points
# Held as the number or the stored formula (a dict), which is how it serialises too.
Points = Annotated[int | dict, PlainValidator(_points, json_schema_input_type=_WholePoints | PointsFormula)]


class RuleLimit(Command):
    """At most `count` rewards per employee from this rule in each `per` (calendar day, month, year, or ever)."""

    count: Whole
    per: checked(Literal[LIMIT_PERIODS], lambda v: v in LIMIT_PERIODS, f"One of {', '.join(LIMIT_PERIODS)}.")


def _text_ok(value, longest: int, *, blank: bool = False) -> bool:
    return isinstance(value, str) and len(value) <= longest and storable_text(value) and (blank or bool(value.strip()))


Name = checked(
    str,
    lambda v: _text_ok(v, NAME_MAX_LENGTH),
    f"1 to {NAME_MAX_LENGTH} characters.",
    str.strip,
    minLength=1,
    maxLength=NAME_MAX_LENGTH,
    pattern=STORABLE_VISIBLE,
)
ProgrammeCode = checked(
    str,
    lambda v: _text_ok(v, PROGRAMME_MAX_LENGTH),
    "A programme code.",
    minLength=1,
    maxLength=PROGRAMME_MAX_LENGTH,
    pattern=STORABLE_VISIBLE,
)
Reason = checked(
    str,
    lambda v: _text_ok(v, REASON_MAX_LENGTH, blank=True),
    f"At most {REASON_MAX_LENGTH} characters.",
    maxLength=REASON_MAX_LENGTH,
    pattern=NO_NUL,
)


class RuleCommand(Command):
    """A reward rule: events of `event_type` meeting every condition earn `points` from `programme`."""

    name: Annotated[Name, Field(description="Unique in the organisation; the points request's source is rule:<name>")]
    event_type: EventType
    conditions: Annotated[list[Condition], Field(max_length=MAX_CONDITIONS)] = []
    points: Annotated[Points, Field(description="A whole number, or {from, multiplier, min, max}")]
    programme: Annotated[ProgrammeCode, Field(description="The code of the programme whose budget pays")]
    reason: Annotated[Reason, Field(description="The points request's reason")] = ""
    limit: Annotated[RuleLimit | None, Field(description="null: no limit")] = None
    active: StrictBool = True
    starts_at: Annotated[Moment | None, Field(description="In force from (null: always)")] = None
    ends_at: Annotated[Moment | None, Field(description="In force until, excluded (null: always)")] = None

    @field_validator("ends_at", mode="after")
    @classmethod
    def _ends_after_start(cls, value, info: ValidationInfo):
        start = info.data.get("starts_at")
        if value is not None and start is not None and value < start:  # equal: an empty window, never in force
            raise rule_error(CoreErrorCode.INVALID, "Not before starts_at.")
        return value

    def stored(self) -> dict:
        """The rule's columns."""
        return {
            "name": self.name,
            "event_type": self.event_type,
            "conditions": [condition.model_dump() for condition in self.conditions],
            "points": self.points,
            "reason": self.reason,
            "limit_count": self.limit.count if self.limit else None,
            "limit_per": self.limit.per if self.limit else "",
            "active": self.active,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


class RulePatchCommand(RuleCommand):
    """PATCH: the fields sent replace the rule's; the whole rule is then checked again as RuleCommand."""

    name: Annotated[Name, Field(description="Unique in the organisation")] = None
    event_type: EventType = None
    points: Points = None
    programme: ProgrammeCode = None


class RuleTestCommand(Command):
    """An event to dry-run a rule against; event_id and occurred_at may be left out."""

    event_id: EventId | None = None
    type: EventType
    employee_id: EmployeeId
    occurred_at: Moment | None = None
    data: EventData = {}

    error_messages: ClassVar = {}
