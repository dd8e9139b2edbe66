"""Moved to points.api.rest.batches; kept until plum/urls.py registers points.api.rest alone (the lead's)."""

from points.api.rest.batches import register  # noqa: F401
