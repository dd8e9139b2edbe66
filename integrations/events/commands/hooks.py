"""Typed input of hook endpoints (REST, admin) and of a signed delivery to /hooks/<endpoint_key>/, and
their error codes.

A mapping is checked when it is saved (integrations.events.mapping): each bad entry is a 400 naming
`mapping.<field>`; a body the saved mapping cannot read is a 422 `mapping_failed` when it arrives.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import Field, StrictBool

from integrations.events.commands.events import EVENT_TYPE_PATTERN
from integrations.events.mapping import MAX_DATA_MEMBERS, MAX_POINTER_LENGTH, REQUIRED, mapping_problems
from plum.core.commands import Command, text
from plum.core.errors import CoreErrorCode, DomainError, ErrorCode, ValidationFailed, field_error
from plum.core.text import VISIBLE, storable_json


class HooksErrorCode(ErrorCode):
    HOOK_ENDPOINT_NOT_FOUND = "hook_endpoint_not_found", 404
    INVALID_SIGNATURE = "invalid_signature", 401
    MALFORMED_REQUEST = "malformed_request", 400
    MAPPING_FAILED = "mapping_failed", 422


class HooksError(DomainError):
    pass


_event_type = re.compile(EVENT_TYPE_PATTERN)
MAPPING_DESCRIPTION = (
    "Where the event's fields are in the sender's JSON, as JSON pointers (RFC 6901): keys event_id, type, "
    "employee_id (required), occurred_at (default: the webhook-timestamp), data (a pointer to an object, or an "
    'object of names and pointers). `type` may be a constant: "=kpi.threshold_crossed".'
)
MAPPING_EXAMPLE = {
    "event_id": "/id",
    "type": "/event",
    "employee_id": "/employee/code",
    "occurred_at": "/ts",
    "data": "/payload",
}
Name = text(100, strip=True, min_length=1, pattern=VISIBLE)
# The schema says what mapping_problems checks, so a client's tooling knows a mapping before sending it.
_POINTER = {"type": "string", "maxLength": MAX_POINTER_LENGTH, "pattern": r"^(/([^~\u0000]|~[01])*)*$"}
_CONSTANT_TYPE = {"type": "string", "pattern": "^=" + EVENT_TYPE_PATTERN.removeprefix("^")}
MAPPING_SCHEMA = {
    "type": "object",
    "properties": {
        "event_id": _POINTER,
        "type": {"oneOf": [_POINTER, _CONSTANT_TYPE]},
        "employee_id": _POINTER,
        "occurred_at": _POINTER,
        "data": {
            "oneOf": [
                _POINTER,
                {
                    "type": "object",
                    "maxProperties": MAX_DATA_MEMBERS,
                    "additionalProperties": _POINTER,
                },
            ]
        },
    },
    "required": list(REQUIRED),
    "additionalProperties": False,
    "example": MAPPING_EXAMPLE,
}
Mapping = Annotated[dict[str, Any], Field(description=MAPPING_DESCRIPTION, json_schema_extra=MAPPING_SCHEMA)]


def _mapping_errors(data: Any) -> list[dict]:
    mapping = data.get("mapping") if isinstance(data, dict) else None
    if not isinstance(mapping, dict):
        return []  # absent or not an object: the command's own check says so
    if not storable_json(mapping):
        return [field_error("mapping", CoreErrorCode.INVALID, "Contains a NUL character or an unpaired surrogate.")]
    problems = mapping_problems(mapping, constant_ok=lambda value: bool(_event_type.match(value)))
    return [field_error(field, code, message) for field, code, message in problems]


class _MappingChecked(Command):
    @classmethod
    def parse(cls, data: Any, **context) -> Self:
        """The command, or every field error at once, the mapping's entries each under its own name."""
        try:
            command = super().parse(data, **context)
            errors = []
        except ValidationFailed as exc:
            command, errors = None, exc.errors
        errors += _mapping_errors(data)
        if errors:
            raise ValidationFailed(errors)
        return command


class HookEndpointCreate(_MappingChecked):
    """A hook endpoint: its url and signing secret (shown once) are made by Plum."""

    name: Annotated[Name, Field(description="What sends to it, for people: Darwinbox KPI alerts")]
    mapping: Mapping
    active: Annotated[StrictBool, Field(description="An inactive endpoint answers 404")] = True


class HookEndpointChanges(_MappingChecked):
    """Omitted fields keep their values."""

    name: Name = None
    mapping: Mapping = None
    active: StrictBool = None


class HookEndpointUpdate(HookEndpointChanges):
    endpoint_id: UUID

    @classmethod
    def of(cls, endpoint_id: UUID | str, data: Any) -> Self:
        if not isinstance(data, dict):
            raise ValidationFailed([field_error(None, CoreErrorCode.INVALID, "The changes must be an object.")])
        if "endpoint_id" in data:
            raise ValidationFailed([field_error("endpoint_id", CoreErrorCode.UNKNOWN_FIELD, "Unknown field.")])
        return cls.parse({**data, "endpoint_id": str(endpoint_id)})

    def changes(self) -> dict:
        return {name: value for name, value in self.given().items() if name != "endpoint_id"}


class HookEndpointRef(Command):
    endpoint_id: UUID


@dataclass(frozen=True)
class HookDelivery:
    """A POST to /hooks/<endpoint_key>/ as it arrived: the Standard Webhooks headers and the body's bytes,
    which are what is signed (so they are read before any parsing)."""

    endpoint_key: str
    webhook_id: str | None
    webhook_timestamp: str | None
    webhook_signature: str | None
    body: bytes

    def headers(self) -> dict[str, str]:
        named = {
            "webhook-id": self.webhook_id,
            "webhook-timestamp": self.webhook_timestamp,
            "webhook-signature": self.webhook_signature,
        }
        return {name: value for name, value in named.items() if value is not None}
