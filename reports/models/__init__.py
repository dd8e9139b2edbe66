from reports.dashboard.models import Dashboard
from reports.models.points import (
    EntryDimension,
    PointsDaily,
    PointsDelta,
    PointsMonthly,
    PointsMonthlyRecipient,
    PointsRecipient,
    RecipientCount,
    RecipientCountDelta,
    RecipientPresence,
)
from reports.models.reconciliation import ReconciliationIssue
from reports.models.vouchers import VoucherFact

__all__ = [
    "Dashboard",
    "EntryDimension",
    "PointsDaily",
    "PointsDelta",
    "PointsMonthly",
    "PointsMonthlyRecipient",
    "PointsRecipient",
    "RecipientCount",
    "RecipientCountDelta",
    "RecipientPresence",
    "ReconciliationIssue",
    "VoucherFact",
]
