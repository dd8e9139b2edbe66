"""Every write of the points app. Doors (REST, GraphQL, admin, tasks, commands) only call these."""

from points.services.programmes import programme_create, programme_topup
from points.services.requests import (
    Submitted,
    points_request_approve,
    points_request_reject,
    points_request_reverse,
    points_request_submit,
)
from points.services.wallets import Spent, ledger_reconcile, lots_expire, points_spend

__all__ = [
    "Spent",
    "Submitted",
    "ledger_reconcile",
    "lots_expire",
    "points_request_approve",
    "points_request_reject",
    "points_request_reverse",
    "points_request_submit",
    "points_spend",
    "programme_create",
    "programme_topup",
]
