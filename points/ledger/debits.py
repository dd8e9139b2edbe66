"""Debits of a wallet, always lot by lot (first to expire first), and the moves back: refunds into the
lots points came from, the reversal of a credit, expiry."""

from datetime import datetime

from plum.core.db import array, fetchall, fetchone
from points.errors import PointsError, PointsErrorCode
from points.ledger.accounts import organisation_account_id, wallet_move
from points.ledger.budget import budget_give
from points.ledger.postings import post_transaction
from points.models import Account, LedgerTransaction, Programme


def insufficient_balance(points: int) -> PointsError:
    return PointsError(PointsErrorCode.INSUFFICIENT_BALANCE, f"The wallet does not hold {points} spendable points.")


def debit_wallet(
    organisation_id, employee_pk, points: int, now: datetime, *, reference: str, memo: str = ""
) -> tuple[LedgerTransaction, int, list[tuple[object, int]]]:
    """Move `points` from the employee's wallet into the redemption sink, consuming the unexpired lots
    that expire first; never overdraws (insufficient_balance). Answers (the transaction, the wallet's
    balance after, [(lot id, points taken)])."""
    moved = wallet_move(organisation_id, employee_pk, -points)
    if moved is None:
        raise insufficient_balance(points)
    wallet_id, balance = moved
    lots = _consume_lots(wallet_id, points, now)
    sink = organisation_account_id(organisation_id, Account.Kind.REDEMPTION)
    txn = post_transaction(
        organisation_id,
        LedgerTransaction.Kind.SPEND,
        [(wallet_id, -points, balance), (sink, points, None)],
        reference=reference,
        memo=memo,
    )
    return txn, balance, lots


def _consume_lots(wallet_id: int, points: int, now: datetime) -> list[tuple[object, int]]:
    """Take `points` from the wallet's unexpired lots, first to expire first (the caller holds the wallet
    lock); raises insufficient_balance if they cannot cover it."""
    lots = fetchall(
        "SELECT id, remaining FROM points_lot WHERE account_id = %s AND remaining > 0 AND expires_at > %s"
        " ORDER BY expires_at, id FOR UPDATE",
        [wallet_id, now],
    )
    taken, missing = [], points
    for lot_id, remaining in lots:
        take = min(remaining, missing)
        taken.append((lot_id, take))
        missing -= take
        if not missing:
            break
    if missing:
        raise insufficient_balance(points)
    _add_to_lots([(lot_id, -take) for lot_id, take in taken], wallet_id)
    return taken


def _add_to_lots(changes: list[tuple[object, int]], wallet_id: int) -> None:
    fetchall(
        "UPDATE points_lot l SET remaining = l.remaining + v.change FROM unnest(%s::uuid[], %s::bigint[])"
        " AS v(id, change) WHERE l.id = v.id AND l.account_id = %s RETURNING l.id",
        [array(lot_id for lot_id, _ in changes), array(change for _, change in changes), wallet_id],
    )


def refund_into_lots(
    organisation_id, employee_pk, lots: list[tuple[object, int]], *, reference: str, memo: str = ""
) -> LedgerTransaction:
    """Give spent points back from the redemption sink into the very lots they were taken from (so they
    keep their expiry: a lot already past it is expired again by the next expiry run)."""
    points = sum(taken for _, taken in lots)
    wallet_id, balance = wallet_move(organisation_id, employee_pk, points)
    _add_to_lots(lots, wallet_id)
    sink = organisation_account_id(organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        organisation_id,
        LedgerTransaction.Kind.REFUND,
        [(sink, -points, None), (wallet_id, points, balance)],
        reference=reference,
        memo=memo,
    )


def reverse_credit(
    organisation_id, employee_pk, programme: Programme, lot_id, points: int, now: datetime, *, reference: str, memo=""
) -> LedgerTransaction:
    """Take a credit's points back from the lot it created, whole, and return them to the budget. Points
    already spent or expired cannot be taken back: insufficient_balance, and nothing changes."""
    moved = wallet_move(organisation_id, employee_pk, -points)
    lot = fetchone("SELECT remaining, expires_at FROM points_lot WHERE id = %s FOR UPDATE", [lot_id])
    if moved is None or lot[0] < points or lot[1] <= now:
        raise insufficient_balance(points)
    wallet_id, balance = moved
    _add_to_lots([(lot_id, -points)], wallet_id)
    lines = [(wallet_id, -points, balance), *budget_give(programme, points)]
    return post_transaction(organisation_id, LedgerTransaction.Kind.REVERSAL, lines, reference=reference, memo=memo)


def wallets_with_lots_due(now: datetime, limit: int) -> list[int]:
    return [
        row[0]
        for row in fetchall(
            "SELECT DISTINCT account_id FROM points_lot WHERE remaining > 0 AND expires_at <= %s LIMIT %s",
            [now, limit],
        )
    ]


def expire_wallet(wallet_id: int, now: datetime) -> int:
    """Move what is left of the wallet's lots past their expiry into the expiry sink, in the caller's
    transaction; answers the points expired (0 when another run got there first)."""
    # the lock a wallet_move takes, so spends, credits and reversals of this wallet wait for us
    (organisation_id,) = fetchone(
        "SELECT organisation_id FROM points_account WHERE id = %s FOR NO KEY UPDATE", [wallet_id]
    )
    lots = fetchall(
        "SELECT id, remaining FROM points_lot WHERE account_id = %s AND remaining > 0 AND expires_at <= %s FOR UPDATE",
        [wallet_id, now],
    )
    total = sum(remaining for _, remaining in lots)
    if not total:
        return 0
    _add_to_lots([(lot_id, -remaining) for lot_id, remaining in lots], wallet_id)
    balance = fetchone(
        "UPDATE points_account SET balance = balance - %s WHERE id = %s RETURNING balance", [total, wallet_id]
    )[0]
    sink = organisation_account_id(organisation_id, Account.Kind.EXPIRY)
    post_transaction(
        organisation_id,
        LedgerTransaction.Kind.EXPIRY,
        [(wallet_id, -total, balance), (sink, total, None)],
        reference="expiry",
    )
    return total
