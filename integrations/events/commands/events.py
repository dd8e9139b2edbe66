"""The event a system sends: POST /events/, a hook endpoint's mapped payload, an anniversary."""

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated

from pydantic import Field, PlainValidator

from plum.core.commands import Command, rule_error
from plum.core.errors import CoreErrorCode
from plum.core.text import storable_json, storable_text
from plum.core.timefmt import iso, parse_aware

# Printable ASCII without spaces, as every client reference; 87 at most so that the points request a rule
# makes of it, request_id evt:<event_id>:<rule id>, fits the 128 characters of a request_id.
EVENT_ID_MAX_LENGTH = 87
EVENT_ID_PATTERN = rf"^[\x21-\x7e]{{1,{EVENT_ID_MAX_LENGTH}}}$"
EVENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
EMPLOYEE_ID_MAX_LENGTH = 64
DATA_MAX_BYTES = 16_384
DATA_MAX_DEPTH = 32


def checked(annotation, ok, message: str, clean=lambda value: value, **schema):
    """A field `ok` accepts (then `clean`ed), else `invalid` with `message`; documented as `annotation`."""

    def validate(value):
        if not ok(value):
            raise rule_error(CoreErrorCode.INVALID, message)
        return clean(value)

    return Annotated[
        annotation, PlainValidator(validate, json_schema_input_type=annotation), Field(json_schema_extra=schema or None)
    ]


def _matches(pattern: str):
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.match(value) is not None


def _depth(value) -> int:
    """How deeply a JSON value nests, walked with a stack (json.dumps would recurse)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _small_object(value) -> bool:
    if not isinstance(value, dict) or _depth(value) > DATA_MAX_DEPTH or not storable_json(value):
        return False
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:  # 1e400 reads as Infinity: not a number JSON (or PostgreSQL) keeps
        return False
    return len(text) <= DATA_MAX_BYTES


def _employee_id_ok(value) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= EMPLOYEE_ID_MAX_LENGTH and storable_text(value)


EventId = checked(
    str,
    _matches(EVENT_ID_PATTERN),
    f"1 to {EVENT_ID_MAX_LENGTH} printable ASCII characters, no spaces.",
    pattern=EVENT_ID_PATTERN,
    minLength=1,
    maxLength=EVENT_ID_MAX_LENGTH,
)
EventType = checked(
    str,
    _matches(EVENT_TYPE_PATTERN),
    "1 to 64 letters, digits and _ . : - (such as rating.submitted).",
    pattern=EVENT_TYPE_PATTERN,
    minLength=1,
    maxLength=64,
)
EmployeeId = checked(
    str, _employee_id_ok, f"1 to {EMPLOYEE_ID_MAX_LENGTH} characters.", minLength=1, maxLength=EMPLOYEE_ID_MAX_LENGTH
)
Moment = checked(
    datetime,
    lambda value: parse_aware(value) is not None,
    "Must be a date and time in ISO 8601 with its offset.",
    parse_aware,
)
EventData = checked(
    dict,
    _small_object,
    f"A JSON object of at most {DATA_MAX_BYTES} characters as JSON, nested at most {DATA_MAX_DEPTH} deep.",
)


class EventCommand(Command):
    """Something that happened to an employee in another system."""

    event_id: Annotated[EventId, Field(description="Your own reference; idempotent forever")]
    type: Annotated[EventType, Field(description="What happened, such as rating.submitted; rules match on it")]
    employee_id: Annotated[EmployeeId, Field(description="The organisation's employee_id")]
    occurred_at: Annotated[Moment, Field(description="When it happened, ISO 8601 with its offset")]
    data: Annotated[EventData, Field(description="The event's details, read by the rules' conditions")] = {}

    def fingerprint(self) -> str:
        """The body as first sent, without event_id: the same event_id with another body is a conflict."""
        body = {
            "type": self.type,
            "employee_id": self.employee_id,
            "occurred_at": iso(self.occurred_at),
            "data": self.data,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
