"""Ledger transactions and their entries, and cached balances written for many accounts at once."""

from django.db import connection
from django.utils import timezone

from plum.core.db import array, copy_rows
from plum.core.ids import uuid7
from points.models import LedgerTransaction, Lot

# (account id, signed amount, balance after or None for untracked sinks)
Line = tuple[int, int, int | None]

LOT_COLUMNS = ("id", "organisation_id", "account_id", "points", "remaining", "expires_at", "created_at")
TRANSACTION_COLUMNS = ("id", "organisation_id", "kind", "reference", "memo", "created_at")
ENTRY_COLUMNS = ("id", "transaction_id", "account_id", "amount", "balance_after", "reference", "created_at")

_INSERT_TRANSACTION = (
    "INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
_INSERT_ENTRIES = (
    "INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference, created_at)"
    " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],"
    " %s::timestamptz[])"
)


def post_transaction(
    organisation_id,
    kind: str,
    lines: list[Line],
    *,
    reference: str = "",
    memo: str = "",
    line_reference: str | None = None,
    lot: Lot | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction (PostgreSQL checks the sum at commit), and the lot it creates if any,
    in one round trip."""
    now = timezone.now()
    transaction = LedgerTransaction(
        id=uuid7(), organisation_id=organisation_id, kind=kind, reference=reference, memo=memo[:500], created_at=now
    )
    line_ref = reference if line_reference is None else line_reference
    sql = f"WITH t AS ({_INSERT_TRANSACTION}), e AS ({_INSERT_ENTRIES})"
    params = [transaction.id, organisation_id, kind, reference, transaction.memo, now]
    params += [
        [uuid7() for _ in lines],
        [transaction.id] * len(lines),
        [a for a, _, _ in lines],
        [m for _, m, _ in lines],
        [b for _, _, b in lines],
        [line_ref] * len(lines),
        [now] * len(lines),
    ]
    if lot is not None:
        sql += (
            ", l AS (INSERT INTO points_lot (id, organisation_id, account_id, points, remaining, expires_at,"
            " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s))"
        )
        params += [lot.id, lot.organisation_id, lot.account_id, lot.points, lot.remaining, lot.expires_at, now]
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT 1", params)
    return transaction


def copy_ledger_rows(*, lots: list[tuple], transactions: list[tuple], entries: list[tuple]) -> None:
    """Rows already written as COPY text (plum.core.db.copy_text), in the column orders above."""
    copy_rows("points_lot", LOT_COLUMNS, lots)
    copy_rows("points_ledgertransaction", TRANSACTION_COLUMNS, transactions)
    copy_rows("points_ledgerentry", ENTRY_COLUMNS, entries)


def set_balances(balances: dict[int, int]) -> None:
    """Set the cached balance of many accounts (locked by the caller) in one statement."""
    if not balances:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE points_account a SET balance = v.balance"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, balance) WHERE a.id = v.id",
            [array(balances), array(balances.values())],
        )


def apply_lines(lines: list[Line]) -> None:
    """Add each line's amount to its account's cached balance."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE points_account a SET balance = a.balance + v.amount"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, amount) WHERE a.id = v.id",
            [array(a for a, _, _ in lines), array(m for _, m, _ in lines)],
        )
