"""Uploads: each row of a file, and confirming it."""

import re
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, StrictInt, StrictStr

from plum.core.commands import rule_error
from plum.core.errors import CoreErrorCode, field_error
from plum.core.text import storable_text
from points.commands.base import (
    KEY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REQUEST_ID_PATTERN,
    PointsCommand,
)
from points.commands.requests import PointsRequestCommand
from points.errors import PointsErrorCode


def _cell_text(value: str, limit: int = KEY_MAX_LENGTH, *, required: bool = True) -> str:
    if required and not value:
        raise rule_error(CoreErrorCode.REQUIRED, "This value is required.")
    if len(value) > limit or not storable_text(value):
        raise rule_error(CoreErrorCode.INVALID, f"At most {limit} characters.")
    return value


def _cell(limit: int = KEY_MAX_LENGTH, *, required: bool = True):
    return Annotated[StrictStr, AfterValidator(lambda value: _cell_text(value, limit, required=required))]


def _points_cell(value) -> int:
    """A cell's text as whole points (the cell is text: a BeforeValidator, so the field is an int)."""
    if not isinstance(value, str):
        raise rule_error(CoreErrorCode.INVALID, "This value must be text.")
    value = _cell_text(value)
    if not WHOLE_NUMBER.match(value):
        raise rule_error(CoreErrorCode.INVALID, f"{value!r} is not a whole number.")
    if int(value) < 1:
        raise rule_error(PointsErrorCode.POINTS_OUT_OF_RANGE, f"Points must be at least 1, not {int(value)}.")
    return int(value)


WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]+$")


class PointsUploadRowCommand(PointsCommand):
    """One row of an uploaded file, its cells as text: the points request it asks for, or its row errors."""

    employee_id: _cell()
    points: Annotated[StrictInt, BeforeValidator(_points_cell)]
    reason: _cell(REASON_MAX_LENGTH, required=False)
    request_id: Annotated[_cell(), AfterValidator(lambda v: _pattern(v, REQUEST_ID_PATTERN))]
    programme: _cell()

    PATTERN_MESSAGE: ClassVar = PointsRequestCommand.PATTERN_MESSAGE

    @classmethod
    def explain(cls, errors: list[dict], data: Any) -> list[dict]:
        """A request_id too long or holding NUL breaks the pattern too, as a second error."""
        rid = data.get("request_id") if isinstance(data, dict) else None
        broken = isinstance(rid, str) and rid and not REQUEST_ID_PATTERN.match(rid)
        if broken and not any(e["message"] == cls.PATTERN_MESSAGE for e in errors):
            errors = [*errors, field_error("request_id", CoreErrorCode.INVALID, cls.PATTERN_MESSAGE)]
        return super().explain(errors, data)

    @classmethod
    def error_rank(cls, error: dict) -> int:
        """Each column's missing or long value in column order, then what the points and request_id say."""
        if error["message"] == cls.PATTERN_MESSAGE:
            return len(cls.model_fields) + 1
        if error["field"] == "points" and error["message"] not in (
            "This value is required.",
            "At most 128 characters.",
        ):
            return len(cls.model_fields)
        return super().error_rank(error)


def _pattern(value: str, pattern: re.Pattern) -> str:
    if not pattern.match(value):
        raise rule_error(CoreErrorCode.INVALID, PointsRequestCommand.PATTERN_MESSAGE)
    return value


class PointsUploadConfirmCommand(PointsCommand):
    """Confirm an upload: its valid rows become a batch. Any other id names no upload (404)."""

    upload: StrictStr | UUID
