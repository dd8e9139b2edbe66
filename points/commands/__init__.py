"""Typed input of every points write, parsed and validated once for every door (REST, GraphQL, admin,
batches, uploads, management commands); one module per entity, the shared rules in `base`."""

from points.commands.base import (
    DEFAULT_MAX_POINTS_PER_REQUEST,
    DEFAULT_VALIDITY_DAYS,
    KEY_MAX_LENGTH,
    MAX_BATCH_ITEMS,
    MAX_POINTS,
    MAX_VALIDITY_DAYS,
    METADATA_MAX_BYTES,
    METADATA_VALUE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    PROGRAMME_CODE_PATTERN,
    REASON_MAX_LENGTH,
    REQUEST_ID_PATTERN,
    SOURCE_MAX_LENGTH,
    PointsCommand,
    check_each,
)
from points.commands.programmes import ProgrammeCommand, ProgrammeTopupCommand
from points.commands.requests import (
    PointsBatchCommand,
    PointsRequestCommand,
    PointsRequestDecisionCommand,
    PointsRequestReverseCommand,
    points_request_clean,
)
from points.commands.uploads import PointsUploadConfirmCommand, PointsUploadRowCommand

__all__ = [
    "DEFAULT_MAX_POINTS_PER_REQUEST",
    "DEFAULT_VALIDITY_DAYS",
    "KEY_MAX_LENGTH",
    "MAX_BATCH_ITEMS",
    "MAX_POINTS",
    "MAX_VALIDITY_DAYS",
    "METADATA_MAX_BYTES",
    "METADATA_VALUE_MAX_LENGTH",
    "NOTE_MAX_LENGTH",
    "PROGRAMME_CODE_PATTERN",
    "REASON_MAX_LENGTH",
    "REQUEST_ID_PATTERN",
    "SOURCE_MAX_LENGTH",
    "PointsBatchCommand",
    "PointsCommand",
    "PointsRequestCommand",
    "PointsRequestDecisionCommand",
    "PointsRequestReverseCommand",
    "PointsUploadConfirmCommand",
    "PointsUploadRowCommand",
    "ProgrammeCommand",
    "ProgrammeTopupCommand",
    "check_each",
    "points_request_clean",
]
