from points.models.batches import *  # noqa: F403
from points.models.ledger import Account, LedgerEntry, LedgerTransaction, Lot, ReconciliationIssue
from points.models.programmes import Programme
from points.models.requests import PointsRequest

__all__ = ["Account", "LedgerEntry", "LedgerTransaction", "Lot", "PointsRequest", "Programme", "ReconciliationIssue"]
