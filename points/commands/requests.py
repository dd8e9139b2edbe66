"""Points requests: submit (alone or in a batch), approve or reject, reverse."""

from typing import Annotated, Any, ClassVar

from pydantic import Field, Strict, StrictInt

from plum.core.errors import CoreErrorCode, field_error
from plum.core.text import storable_text
from points.commands.base import (
    KEY_MAX_LENGTH,
    MAX_BATCH_ITEMS,
    MAX_POINTS,
    METADATA_MAX_BYTES,
    METADATA_SCHEMA,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REQUEST_ID_PATTERN,
    SOURCE_MAX_LENGTH,
    Key,
    Metadata,
    PointsCommand,
    RequestId,
    text,
)


class PointsRequestCommand(PointsCommand):
    """POST /points/requests/, pointsRequestCreate, and each item of a batch."""

    request_id: RequestId = Field(description="Your own reference, printable ASCII without spaces; idempotent forever")
    employee_id: Key
    programme: Key = Field(description="Programme code")
    points: StrictInt = Field(
        description="At most the programme's max_points_per_request (else 422)",
        json_schema_extra={"minimum": 1, "maximum": MAX_POINTS},  # a business rule (422), not the shape
    )
    reason: text(max_length=REASON_MAX_LENGTH) | None = None
    source: text(max_length=SOURCE_MAX_LENGTH) | None = None
    metadata: Metadata | None = Field(
        None,
        description=f"Any JSON object up to {METADATA_MAX_BYTES} characters as JSON, returned as sent",
        json_schema_extra=METADATA_SCHEMA,
    )

    invalid_messages: ClassVar = {
        "request_id": "A string of 1 to 128 characters.",
        "employee_id": "A string of 1 to 128 characters.",
        "programme": "A string of 1 to 128 characters.",
        "points": "Must be a whole number.",
        "reason": f"A string of at most {REASON_MAX_LENGTH} characters.",
        "source": f"A string of at most {SOURCE_MAX_LENGTH} characters.",
        "metadata": f"A JSON object of at most {METADATA_MAX_BYTES} bytes.",
    }
    null_is_missing: ClassVar = True
    PATTERN_MESSAGE: ClassVar = "1 to 128 printable ASCII characters."
    # request_id's pattern is reported after the other keys' shape errors
    ORDER: ClassVar = ("request_id", "employee_id", "programme", PATTERN_MESSAGE, "points", "reason", "source")

    @classmethod
    def explain(cls, errors: list[dict], data: Any) -> list[dict]:
        if not isinstance(data, dict):
            return [field_error(None, CoreErrorCode.INVALID, "A points request must be an object.")]
        errors = [
            cls.worded(e, data) for e in errors if e["field"] != "request_id" or e["code"] == CoreErrorCode.REQUIRED
        ]
        return sorted(errors + cls._request_id_errors(data.get("request_id")), key=cls.error_rank)

    @classmethod
    def _request_id_errors(cls, value) -> list[dict]:
        """A request_id may break both rules: 1 to 128 storable characters, printable ASCII."""
        if value is None:
            return []
        found = []
        if not isinstance(value, str) or not 1 <= len(value) <= KEY_MAX_LENGTH or not storable_text(value):
            found.append(field_error("request_id", CoreErrorCode.INVALID, cls.invalid_messages["request_id"]))
        if isinstance(value, str) and not REQUEST_ID_PATTERN.match(value):
            found.append(field_error("request_id", CoreErrorCode.INVALID, cls.PATTERN_MESSAGE))
        return found

    @classmethod
    def error_rank(cls, error: dict) -> int:
        if error["code"] == CoreErrorCode.UNKNOWN_FIELD:
            return -1
        name = cls.PATTERN_MESSAGE if error["message"] == cls.PATTERN_MESSAGE else error["field"]
        return cls.ORDER.index(name) if name in cls.ORDER else len(cls.ORDER)

    def as_clean(self) -> dict:
        """What clean_points_request(data) answered for the same data, for the services that still take it."""
        return points_request_clean(self.__dict__)


def points_request_clean(fields: dict) -> dict:
    """A points request's values with their defaults: of a PointsRequestCommand, or of a batch item
    checked by check_each."""
    return {
        "request_id": fields["request_id"],
        "employee_id": fields["employee_id"],
        "points": fields["points"],
        "programme": fields["programme"],
        "reason": fields.get("reason") or "",
        "source": fields.get("source") or "",
        "metadata": fields.get("metadata") or {},
    }


class PointsRequestDecisionCommand(PointsCommand):
    """Approve or reject a pending request, with the approver's note."""

    note: text(max_length=NOTE_MAX_LENGTH) | None = None

    invalid_messages: ClassVar = {"note": f"A string of at most {NOTE_MAX_LENGTH} characters."}


class PointsRequestReverseCommand(PointsCommand):
    """Take a credited request's points back."""

    reason: text(max_length=NOTE_MAX_LENGTH) | None = Field(
        None, description="Why the points are taken back; kept on the ledger"
    )

    invalid_messages: ClassVar = {"reason": f"A string of at most {NOTE_MAX_LENGTH} characters."}


class PointsBatchCommand(PointsCommand):
    """The envelope of POST /points/batches/ and pointsBatchCreate. Its requests stay as sent: each is
    checked as a PointsRequestCommand when processed (`check_each`), a refused one becoming an item error."""

    batch_id: RequestId = Field(description="Your reference, printable ASCII without spaces; idempotent forever")
    requests: Annotated[list[Any], Strict(), Field(min_length=1, max_length=MAX_BATCH_ITEMS)] = Field(
        description="Each one as POST /points/requests/ takes it",
        json_schema_extra=lambda schema: schema.update(items=PointsRequestCommand.model_json_schema()),
    )

    invalid_messages: ClassVar = {
        "batch_id": "1 to 128 printable ASCII characters.",
        "requests": f"A list of 1 to {MAX_BATCH_ITEMS:,} requests.",
    }
    null_is_missing: ClassVar = True

    @classmethod
    def worded(cls, error: dict, data: Any) -> dict:
        if error["field"] == "batch_id" and error["code"] == CoreErrorCode.REQUIRED:
            return field_error("batch_id", CoreErrorCode.REQUIRED, cls.invalid_messages["batch_id"])
        return super().worded(error, data)
