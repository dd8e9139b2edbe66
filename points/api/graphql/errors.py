"""The points app's GraphQL error types, from the same codes REST answers."""

from plum.api.graphql.errors import error_type
from points.errors import BatchErrorCode, PointsErrorCode

PointsError = error_type("Points", PointsErrorCode)
PointsBatchError = error_type("PointsBatch", PointsErrorCode, BatchErrorCode)
PAGE_ARGUMENTS = ("first", "last", "before", "after", "offset")
