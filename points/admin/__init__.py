"""The operations staff's door to the points app: ledger and requests, batches and uploads."""

from points.admin import batches, ledger  # noqa: F401 - importing registers the model admins
