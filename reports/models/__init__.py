from reports.models.points import EntryDimension, PointsDaily, PointsDelta, PointsRecipient
from reports.models.reconciliation import ReconciliationIssue
from reports.models.vouchers import VoucherFact

__all__ = ["EntryDimension", "PointsDaily", "PointsDelta", "PointsRecipient", "ReconciliationIssue", "VoucherFact"]
