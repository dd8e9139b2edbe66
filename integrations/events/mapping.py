"""A hook endpoint's mapping: where an event's fields are in a sender's JSON, as RFC 6901 JSON pointers.

Pure: no Django, no database. `mapping_problems` checks a mapping when it is saved; `read_event` applies
it to a decoded body and answers the fields of an event (EventCommand parses them), or raises
MappingFailed naming the field and the pointer that could not be read.

    {"event_id": "/id", "type": "/event", "employee_id": "/employee/code", "occurred_at": "/ts", "data": "/payload"}

- every value is a JSON pointer: "" is the whole body, "/a/b" the member b of the member a, "/items/0" the
  first item of a list; "~1" stands for "/" and "~0" for "~" inside a name;
- `type` may instead be a constant: "=kpi.threshold_crossed";
- `data` may also be an object of names and pointers, gathering scattered values: {"score": "/kpi/score"};
- `occurred_at` may be left out: the event then happened when the sender signed it (webhook-timestamp).
  A number where a time is expected is Unix seconds (milliseconds when above 10^11, as JavaScript sends);
- a number where an id is expected (event_id, employee_id) is read as its decimal text.
"""

from datetime import UTC, datetime
from typing import Any

FIELDS = ("event_id", "type", "employee_id", "occurred_at", "data")
REQUIRED = ("event_id", "type", "employee_id")
CONSTANT_PREFIX = "="
MAX_POINTER_LENGTH = 256
MAX_DATA_MEMBERS = 50
MILLISECONDS_ABOVE = 10**11


class MappingFailed(Exception):
    """The body has nothing the mapping can use at `pointer` (for the event's `field`)."""

    def __init__(self, field: str, pointer: str, reason: str):
        super().__init__(f"{field} ({pointer or 'the whole body'}): {reason}")
        self.field = field
        self.pointer = pointer
        self.reason = reason


def pointer_problem(pointer: Any) -> str | None:
    """Why `pointer` is not an RFC 6901 JSON pointer, or None when it is one."""
    if not isinstance(pointer, str):
        return "Must be a JSON pointer (a string such as /employee/code)."
    if len(pointer) > MAX_POINTER_LENGTH:
        return f"At most {MAX_POINTER_LENGTH} characters."
    if pointer and not pointer.startswith("/"):
        return 'A JSON pointer starts with "/" (or is "" for the whole body).'
    if "\x00" in pointer:
        return "Contains a NUL character."
    for token in pointer.split("/")[1:]:
        rest = token.replace("~0", "").replace("~1", "")
        if "~" in rest:
            return '"~" must be followed by 0 (for "~") or 1 (for "/").'
    return None


def tokens(pointer: str) -> list[str]:
    """The reference tokens of a valid pointer, unescaped (~1 before ~0, as RFC 6901 says)."""
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def mapping_problems(mapping: Any, constant_ok=lambda value: True) -> list[tuple[str, str, str]]:
    """(field, code, message) for each problem of a mapping, the code `unknown_field`, `required` or
    `invalid`; `constant_ok` judges a constant event type."""
    if not isinstance(mapping, dict):
        return [("mapping", "invalid", "Must be an object of event fields and JSON pointers.")]
    known = ", ".join(FIELDS)
    problems = [
        (f"mapping.{key}", "unknown_field", f"Unknown field; the fields are {known}.")
        for key in mapping
        if key not in FIELDS
    ]
    problems += [(f"mapping.{key}", "required", "This field is required.") for key in REQUIRED if key not in mapping]
    for key in FIELDS:
        if key not in mapping:
            continue
        value = mapping[key]
        if key == "type" and isinstance(value, str) and value.startswith(CONSTANT_PREFIX):
            if not constant_ok(value[len(CONSTANT_PREFIX) :]):
                problems.append(("mapping.type", "invalid", "The constant after '=' is not a valid event type."))
        elif key == "data" and isinstance(value, dict):
            problems += _data_problems(value)
        elif problem := pointer_problem(value):
            problems.append((f"mapping.{key}", "invalid", problem))
    return problems


def _data_problems(members: dict) -> list[tuple[str, str, str]]:
    if len(members) > MAX_DATA_MEMBERS:
        return [("mapping.data", "invalid", f"At most {MAX_DATA_MEMBERS} members.")]
    problems = []
    for name, pointer in members.items():
        if "\x00" in name:  # any other JSON name will do: the data's own keys are free too
            problems.append(("mapping.data", "invalid", "A member's name cannot hold a NUL character."))
        elif problem := pointer_problem(pointer):
            problems.append((f"mapping.data.{name}", "invalid", problem))
    return problems


def resolve(document: Any, pointer: str, field: str) -> Any:
    """The value `pointer` refers to in `document`; MappingFailed when there is none."""
    value = document
    for token in tokens(pointer):
        if isinstance(value, dict):
            if token not in value:
                raise MappingFailed(field, pointer, f"no member {token!r}")
            value = value[token]
        elif isinstance(value, list):
            if not (token == "0" or (token.isascii() and token.isdigit() and not token.startswith("0"))):
                raise MappingFailed(field, pointer, f"{token!r} is not a list index")
            if int(token) >= len(value):
                raise MappingFailed(field, pointer, f"the list has no item {token}")
            value = value[int(token)]
        else:
            raise MappingFailed(field, pointer, f"cannot look up {token!r} in {_kind(value)}")
    return value


def read_event(mapping: dict, document: Any, *, signed_at: datetime) -> dict:
    """The event's fields as `mapping` finds them in `document` (a decoded JSON body)."""
    fields = {}
    for key in ("event_id", "employee_id"):
        fields[key] = _identifier(resolve(document, mapping[key], key), key, mapping[key])
    kind = mapping["type"]
    if kind.startswith(CONSTANT_PREFIX):
        fields["type"] = kind[len(CONSTANT_PREFIX) :]
    else:
        fields["type"] = _text(resolve(document, kind, "type"), "type", kind)
    if "occurred_at" in mapping:
        pointer = mapping["occurred_at"]
        fields["occurred_at"] = _moment(resolve(document, pointer, "occurred_at"), pointer)
    else:
        fields["occurred_at"] = signed_at.astimezone(UTC).isoformat()
    data = mapping.get("data")
    if isinstance(data, dict):
        fields["data"] = {name: resolve(document, pointer, f"data.{name}") for name, pointer in data.items()}
    elif data is not None:
        value = resolve(document, data, "data")
        if not isinstance(value, dict):
            raise MappingFailed("data", data, f"found {_kind(value)}, not an object")
        fields["data"] = value
    return fields


def _identifier(value: Any, field: str, pointer: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, field, pointer)


def _text(value: Any, field: str, pointer: str) -> str:
    if not isinstance(value, str):
        raise MappingFailed(field, pointer, f"found {_kind(value)}, not a string")
    return value


def _moment(value: Any, pointer: str) -> str:
    if isinstance(value, str):
        return value  # EventCommand checks it is ISO 8601 with an offset
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > MILLISECONDS_ABOVE else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            raise MappingFailed("occurred_at", pointer, "the number is not a Unix time") from None
    raise MappingFailed("occurred_at", pointer, f"found {_kind(value)}, not a time")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
