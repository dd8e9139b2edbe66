"""Moved to points.api.graphql.batches; kept until plum/schema.py imports points.api.graphql alone (the lead's)."""

from points.api.graphql.batches import PointsBatchesMutation, PointsBatchesQuery  # noqa: F401
