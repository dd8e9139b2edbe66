"""Stock reconciliation: every code marked issued belongs to exactly one live voucher, and no live
voucher holds a code marked available. A claim that took more codes than it issued (see
plum.core.claims) would leave codes issued to nobody: lost stock that no order can ever take."""

import logging
from dataclasses import dataclass

from django.db import connection

from vouchers.models import StockCode, Voucher

logger = logging.getLogger(__name__)

# One statement, one snapshot: vouchers committing meanwhile cannot show up as mismatches.
_LIVE = f"count(v.id) FILTER (WHERE v.status <> '{Voucher.Status.CANCELLED.value}')"
MISMATCHES_SQL = f"""
    SELECT s.organisation_id, s.product_id, s.denomination, s.id, s.status, {_LIVE} AS live_vouchers
    FROM {StockCode._meta.db_table} s LEFT JOIN {Voucher._meta.db_table} v ON v.stock_code_id = s.id
    GROUP BY s.id
    HAVING {_LIVE} <> CASE WHEN s.status = '{StockCode.Status.ISSUED.value}' THEN 1 ELSE 0 END
    ORDER BY s.organisation_id, s.product_id, s.denomination, s.id
"""  # noqa: S608 (table and status names from the models)


@dataclass(frozen=True)
class StockMismatch:
    organisation_id: object
    product_id: object
    denomination: int
    stock_code_id: int
    status: str
    live_vouchers: int  # vouchers not cancelled that hold the code


def stock_reconcile() -> list[StockMismatch]:
    """Every stock code whose status disagrees with its vouchers, each logged as an error."""
    with connection.cursor() as cursor:
        cursor.execute(MISMATCHES_SQL)
        found = [StockMismatch(*row) for row in cursor.fetchall()]
    for m in found:
        logger.error(
            "Stock mismatch: code %s of product %s (%s) is %s with %s live vouchers",
            *(m.stock_code_id, m.product_id, m.denomination, m.status, m.live_vouchers),
        )
    return found
