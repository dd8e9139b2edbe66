"""Typed commands: the input of each write, parsed and validated once, whichever door it came through.

A command is a pydantic model. `Command.parse(data)` turns a door's plain data (a REST body, GraphQL
arguments, an admin form's cleaned data, a batch item, an upload row) into the command or raises
`ValidationFailed` with every field error at once, in Plum's vocabulary (`required`, `unknown_field`,
`invalid` or an app's own code). Services take the command and never parse again. The OpenAPI request
bodies are generated from the same models (`plum.api.openapi`), and a test checks the GraphQL inputs.

A rule that needs its own code raises `rule_error(code, message)` from a validator.
"""

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from pydantic_core import PydanticCustomError

from plum.core.errors import CoreErrorCode, ErrorCode, ValidationFailed, field_error

# pydantic's error types that mean the same as one of ours; any other is `invalid`
_CODES = {"missing": CoreErrorCode.REQUIRED, "extra_forbidden": CoreErrorCode.UNKNOWN_FIELD}
_MESSAGES = {"missing": "This field is required."}


class Command(BaseModel):
    """Base of every typed command: unknown fields refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)

    @classmethod
    def parse(cls, data: Any) -> Self:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed([_field_error(error) for error in exc.errors(include_url=False)]) from None

    def given(self) -> dict:
        """Only the fields the caller sent (for partial updates)."""
        return self.model_dump(include=self.model_fields_set)


def rule_error(code: ErrorCode | str, message: str) -> PydanticCustomError:
    """An error to raise from a validator that reports under the app's own code."""
    return PydanticCustomError(str(code), message)


def field_path(loc: tuple) -> str | None:
    """pydantic's location as Plum names fields: `requests[3].points`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def _field_error(error: dict) -> dict:
    kind = error["type"]
    field = field_path(error["loc"])
    if kind == "extra_forbidden":
        return field_error(field, CoreErrorCode.UNKNOWN_FIELD, f"Unknown field {error['loc'][-1]!r}.")
    code = _CODES.get(kind) or (kind if kind in _custom_codes() else None)
    message = _MESSAGES.get(kind) or _sentence(error["msg"])
    return field_error(field, code or CoreErrorCode.INVALID, message)


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
Text = StrictStr
Points = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
