"""Every write of the reports app (the capture itself is PostgreSQL triggers, reports/sql)."""

from reports.services.fold import points_deltas_fold
from reports.services.reconcile import reports_reconcile

__all__ = ["points_deltas_fold", "reports_reconcile"]
