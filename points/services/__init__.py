"""Every write of the points app. Doors (REST, GraphQL, admin, tasks, commands) only call these."""

from plum.core.jobs import ChunkFailed
from points.services.batches import (
    BatchCreated,
    points_batch_create,
    points_batch_process,
    points_batch_retry,
    points_batches_sweep,
)
from points.services.programmes import programme_create, programme_topup
from points.services.requests import (
    Submitted,
    points_request_approve,
    points_request_reject,
    points_request_reverse,
    points_request_submit,
)
from points.services.spending import (
    Spent,
    budget_refund,
    budget_spend,
    budget_spend_units,
    points_refund,
    points_spend,
    programme_for_spending,
)
from points.services.uploads import points_upload_confirm, points_upload_create
from points.services.wallets import ledger_reconcile, lots_expire

__all__ = [
    "BatchCreated",
    "ChunkFailed",
    "Spent",
    "Submitted",
    "budget_refund",
    "budget_spend",
    "budget_spend_units",
    "ledger_reconcile",
    "lots_expire",
    "points_batch_create",
    "points_batch_process",
    "points_batch_retry",
    "points_batches_sweep",
    "points_refund",
    "points_request_approve",
    "points_request_reject",
    "points_request_reverse",
    "points_request_submit",
    "points_spend",
    "points_upload_confirm",
    "points_upload_create",
    "programme_create",
    "programme_for_spending",
    "programme_topup",
]
