"""Programmes: create, top up."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, StrictStr

from plum.core.errors import CoreErrorCode, field_error
from plum.core.text import STORABLE_VISIBLE
from points.commands.base import (
    DEFAULT_MAX_POINTS_PER_REQUEST,
    DEFAULT_VALIDITY_DAYS,
    MAX_POINTS,
    MAX_VALIDITY_DAYS,
    PROGRAMME_CODE_PATTERN,
    PointsCommand,
    not_blank,
    text,
    whole_number,
)
from points.models import Programme


class ProgrammeCommand(PointsCommand):
    """Create a programme."""

    code: Annotated[StrictStr, Field(min_length=1, max_length=32, pattern=PROGRAMME_CODE_PATTERN.pattern)]
    # The pattern tells the schema what not_blank and storable text refuse.
    name: Annotated[
        StrictStr, Field(min_length=1, max_length=200, pattern=STORABLE_VISIBLE), AfterValidator(not_blank)
    ] = Field(description="1 to 200 characters, not only spaces")
    approval_threshold: whole_number() | None = Field(
        None, description="Requests of at least this many points wait for approval; null or omitted: never"
    )
    max_points_per_request: whole_number() = DEFAULT_MAX_POINTS_PER_REQUEST
    points_validity_days: whole_number(MAX_VALIDITY_DAYS) = DEFAULT_VALIDITY_DAYS
    status: Literal[tuple(Programme.Status.values)] = Programme.Status.ACTIVE.value

    invalid_messages: ClassVar = {
        "code": "1 to 32 letters, digits, _ or -.",
        "name": "1 to 200 characters.",
        "approval_threshold": f"A whole number from 1 to {MAX_POINTS}.",
        "max_points_per_request": f"A whole number from 1 to {MAX_POINTS}.",
        "points_validity_days": f"A whole number from 1 to {MAX_VALIDITY_DAYS}.",
        "status": "Must be 'active' or 'inactive'.",
    }

    @classmethod
    def worded(cls, error: dict, data: Any) -> dict:
        field = error["field"]
        if field in ("code", "name") and error["code"] in (CoreErrorCode.REQUIRED, CoreErrorCode.INVALID):
            given = data.get(field) if isinstance(data, dict) else None
            code = CoreErrorCode.INVALID if given else CoreErrorCode.REQUIRED  # empty counts as missing
            return field_error(field, code, cls.invalid_messages[field])
        return super().worded(error, data)


class ProgrammeTopupCommand(PointsCommand):
    """Move points from the organisation's funding account into a programme's budget."""

    programme: StrictStr = Field(description="Programme code")  # any text: an unknown one is not found (422)
    points: whole_number()
    memo: text() = ""

    invalid_messages: ClassVar = {
        "points": f"A whole number from 1 to {MAX_POINTS}.",
        "memo": "Text without NUL characters.",
    }
