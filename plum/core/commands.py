"""Typed commands: the input of each write, parsed and validated once, whichever door it came through.

A command is a pydantic model. `Command.parse(data)` turns a door's plain data (a REST body, GraphQL
arguments, an admin form's cleaned data, a batch item, an upload row) into the command or raises
`ValidationFailed` with every field error at once, in Plum's vocabulary (`required`, `unknown_field`,
`invalid` or an app's own code). Services take the command and never parse again. The OpenAPI request
bodies (`plum.api.commands`) and the GraphQL inputs (`plum.api.graphql.commands`) are generated from the
same models, and tests/test_command_schemas.py checks both against them.

A rule that needs its own code raises `rule_error(code, message)` from a validator. pydantic's own
errors get Plum's wording (`Must be a string.`, `At most 64 characters.`); a command may word a field's
errors itself in `error_messages`: `{"employee_id": "1 to 64 characters: ...", ("points", "too_long"):
("too_many", "...")}`, keyed by field path without list indices (`requests.points`), optionally with
pydantic's error type, valued by a message or a (code, message).
"""

from functools import cache
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from plum.core.errors import CoreErrorCode, ErrorCode, ValidationFailed, field_error
from plum.core.text import VISIBLE, storable_text

# pydantic's error types that mean the same as one of ours; any other is `invalid`
_CODES = {"missing": CoreErrorCode.REQUIRED, "extra_forbidden": CoreErrorCode.UNKNOWN_FIELD}
_MESSAGES = {"missing": "This field is required."}
UNSTORABLE = "Contains a NUL character or an unpaired surrogate."


class Command(BaseModel):
    """Base of every typed command: unknown fields refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)
    error_messages: ClassVar[dict] = {}

    @classmethod
    def parse(cls, data: Any, **context) -> Self:
        """The command, or ValidationFailed with every field error; `context` reaches validators (`info.context`)."""
        data, unknown = without_unstorable_keys(data, field_names(cls))
        try:
            command = cls.model_validate(data, context=context or None)
        except ValidationError as exc:
            raise ValidationFailed(unknown + plum_errors(exc, cls.error_messages, data)) from None
        if unknown:
            raise ValidationFailed(unknown)
        return command

    def given(self) -> dict:
        """Only the fields the caller sent (for partial updates)."""
        values = self.__dict__
        return {name: values[name] for name in self.model_fields_set}


@cache
def field_names(command: type[Command]) -> frozenset:
    """The command's field names, for a quick look at a body's keys."""
    return frozenset(command.model_fields)


def rule_error(code: ErrorCode | str, message: str) -> PydanticCustomError:
    """An error to raise from a validator that reports under the app's own code."""
    return PydanticCustomError(str(code), message)


def plum_errors(exc: ValidationError, messages: dict | None = None, data: Any = None) -> list[dict]:
    """pydantic's errors as Plum's field errors, in the order every door always answered: for each
    object, unknown fields first, then wrong values in the order the client sent them, then fields left out."""
    errors = exc.errors(include_url=False)
    objects: dict[tuple, int] = {}
    for error in errors:
        objects.setdefault(error["loc"][:-1], len(objects))
    rank = {"extra_forbidden": 0, "missing": 2}
    sent = {key: position for position, key in enumerate(data)} if isinstance(data, dict) else {}

    def order(error):
        first = error["loc"][0] if error["loc"] else None
        return objects[error["loc"][:-1]], rank.get(error["type"], 1), sent.get(first, len(sent))

    return [_field_error(error, messages or {}) for error in sorted(errors, key=order)]


def without_unstorable_keys(data: Any, fields: frozenset = frozenset()) -> tuple[Any, list[dict]]:
    """An object's keys pydantic cannot even read (a lone surrogate) are unknown fields, named printably.
    `fields` (the model's names) need no check: a sync's 10,000 records have little else."""
    if not isinstance(data, dict) or data.keys() <= fields:
        return data, []
    if all(isinstance(key, str) and storable_text(key) for key in data):
        return data, []
    kept = {key: value for key, value in data.items() if isinstance(key, str) and storable_text(key)}
    unknown = [
        field_error(printable(key), CoreErrorCode.UNKNOWN_FIELD, f"Unknown field '{printable(key)}'.")
        for key in data
        if key not in kept
    ]
    return kept, unknown


def printable(key) -> str:
    """A client's key, safe to echo back in an error (JSON answers are UTF-8)."""
    text = key if isinstance(key, str) else str(key)
    return text if storable_text(text) else text.encode("utf-8", "backslashreplace").decode("ascii", "replace")


def field_path(loc: tuple) -> str | None:
    """pydantic's location as Plum names fields: `requests[3].points`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def _field_error(error: dict, messages: dict) -> dict:
    kind = error["type"]
    field = field_path(error["loc"])
    if kind == "extra_forbidden":
        return field_error(field, CoreErrorCode.UNKNOWN_FIELD, f"Unknown field {error['loc'][-1]!r}.")
    code = _CODES.get(kind) or (kind if kind in _custom_codes() else None)
    loc = error["loc"]
    if error.get("input", ...) is None and code is None and loc and isinstance(loc[-1], str):
        # null where a field takes none; a null list item is merely invalid
        return field_error(field, CoreErrorCode.REQUIRED, "May not be null.")
    custom = _custom_message(messages, error["loc"], kind)
    if isinstance(custom, tuple):
        return field_error(field, *custom)
    if custom is not None:
        return field_error(field, code or CoreErrorCode.INVALID, custom)
    message = _MESSAGES.get(kind) or _plum_message(error) or _sentence(error["msg"])
    return field_error(field, code or CoreErrorCode.INVALID, message)


def _custom_message(messages: dict, loc: tuple, kind: str):
    if not messages or kind in _custom_codes():
        return None  # an app's own code keeps its words
    path = ".".join(str(part) for part in loc if not isinstance(part, int))
    if kind == "missing":
        return messages.get((path, kind))  # a field left out is `required` unless a command says otherwise
    return messages.get((path, kind), messages.get(path))


def _plum_message(error: dict) -> str | None:
    """pydantic's commonest errors in the words Plum's answers always used."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    if kind in ("string_too_long", "too_long") and "max_length" in ctx:
        noun = "characters" if kind.startswith("string") else "items"
        return f"At most {_number(ctx['max_length'])} {noun}."
    if kind in ("string_too_short", "too_short") and "min_length" in ctx:
        noun = "characters" if kind.startswith("string") else "items"
        return f"At least {_number(ctx['min_length'])} {noun}."
    if kind == "less_than_equal":
        return f"At most {_number(ctx['le'])}."
    if kind == "greater_than_equal":
        return f"At least {_number(ctx['ge'])}."
    if kind in ("literal_error", "enum"):
        return f"Must be {ctx['expected']}."
    return None


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


_TYPE_MESSAGES = {
    "string_type": "Must be a string.",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
    "list_type": "Must be a list.",
    "model_type": "Must be an object.",
    "model_attributes_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "date_type": "Must be a date as YYYY-MM-DD.",
    "date_parsing": "Must be a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Must be a date as YYYY-MM-DD.",
    "date_from_datetime_inexact": "Must be a date as YYYY-MM-DD.",
    "datetime_type": "Must be a date and time in ISO 8601 with its offset.",
    "datetime_parsing": "Must be a date and time in ISO 8601 with its offset.",
    "datetime_from_date_parsing": "Must be a date and time in ISO 8601 with its offset.",
    "uuid_type": "Must be a UUID.",
    "uuid_parsing": "Must be a UUID.",
    "string_unicode": UNSTORABLE,
}


def _custom_codes() -> set[str]:
    """Every app's error codes (a custom error of another type is reported as `invalid`)."""
    return {str(member) for enum in _all_subclasses(ErrorCode) for member in enum}


def _all_subclasses(cls) -> list:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def _sentence(message: str) -> str:
    """pydantic's message as a sentence ("Value error, x" loses its prefix)."""
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."


# Field types every app uses: JSON has no difference between 1 and True for pydantic's lax mode, Plum does.
WholeNumber = StrictInt


def _storable(value: str) -> str:
    if "\x00" in value:  # a lone surrogate pydantic refuses by itself (string_unicode)
        raise rule_error(CoreErrorCode.INVALID, UNSTORABLE)
    return value


def text(max_length: int | None = None, *, strip: bool = False, **constraints):
    """Text PostgreSQL can store, with pydantic's string constraints (`min_length`, `pattern`), which the
    schemas show; `strip` trims it first. Trimmed and required to be non-empty, it must hold a visible
    character, and the schema says so: a value of spaces alone is not valid data that is then refused."""
    if strip and constraints.get("min_length") and "pattern" not in constraints:
        constraints["pattern"] = VISIBLE
    bounds = StringConstraints(strip_whitespace=strip or None, max_length=max_length, **constraints)
    return Annotated[StrictStr, bounds, AfterValidator(_storable)]


Text = text()
