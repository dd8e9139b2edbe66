"""What other rooms pay with and give back: a programme's budget, and refunds into a wallet's lots.
Each runs in the caller's transaction (the vouchers app pays an order or a campaign chunk with them)."""

from django.db import transaction

from plum.core.actor import Actor
from plum.core.db import fetchall
from points.errors import PointsError, PointsErrorCode
from points.models import Account, LedgerTransaction, Programme
from points.services.ledger import (
    budget_give,
    budget_take,
    organisation_account_id,
    post_transaction,
    wallet_move,
)


def programme_for_spending(*, actor: Actor, code) -> Programme:
    """The organisation's active programme `code`, or programme_not_found / programme_inactive."""
    programme = None
    if isinstance(code, str):
        programme = Programme.objects.filter(organisation_id=actor.organisation_id, code=code).first()
    if programme is None:
        raise PointsError(PointsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {code!r}.", field="programme")
    if programme.status != Programme.Status.ACTIVE:
        raise PointsError(PointsErrorCode.PROGRAMME_INACTIVE, f"Programme {code!r} is inactive.", field="programme")
    return programme


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Spending and refunds run inside the caller's transaction.")


def budget_spend(*, programme: Programme, points: int, reference: str, memo: str = "") -> LedgerTransaction:
    """Pay `points` from the programme's budget into the redemption sink; raises budget_exhausted."""
    _in_transaction()
    lines = budget_take(programme, points)
    sink = organisation_account_id(programme.organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        programme.organisation_id,
        LedgerTransaction.Kind.SPEND,
        [*lines, (sink, points, None)],
        reference=reference,
        memo=memo,
    )


def budget_spend_units(
    *, programme: Programme, unit_points: int, count: int, reference: str, memo: str = ""
) -> tuple[int, LedgerTransaction | None]:
    """Pay for as many of `count` units of `unit_points` as the budget can, in one transaction:
    answers (units paid, the ledger transaction or None when it could pay none)."""
    _in_transaction()
    try:
        with transaction.atomic():
            return count, budget_spend(programme=programme, points=unit_points * count, reference=reference, memo=memo)
    except PointsError as exc:
        if exc.code != PointsErrorCode.BUDGET_EXHAUSTED:
            raise
    # Not enough for all: lock every shard (as budget_take's last resort does) and pay what fits.
    shards = fetchall(
        "SELECT balance FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY id FOR UPDATE",
        [programme.pk],
    )
    paid = min(count, sum(balance for (balance,) in shards) // unit_points)
    if not paid:
        return 0, None
    return paid, budget_spend(programme=programme, points=unit_points * paid, reference=reference, memo=memo)


def budget_refund(*, programme: Programme, points: int, reference: str, memo: str = "") -> LedgerTransaction:
    """Give `points` back from the redemption sink to the programme's budget."""
    _in_transaction()
    lines = budget_give(programme, points)
    sink = organisation_account_id(programme.organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        programme.organisation_id,
        LedgerTransaction.Kind.REFUND,
        [(sink, -points, None), *lines],
        reference=reference,
        memo=memo,
    )


def points_refund(
    *, organisation_id, employee_pk, lots: list[tuple[str, int]], reference: str, memo: str = ""
) -> LedgerTransaction:
    """Give spent points back to the wallet, into the very lots they were taken from (so they keep
    their expiry: a lot already past it is expired again by the next expiry run)."""
    _in_transaction()
    points = sum(taken for _, taken in lots)
    wallet_id, balance = wallet_move(organisation_id, employee_pk, points)
    with transaction.get_connection().cursor() as cursor:
        cursor.executemany(
            "UPDATE points_lot SET remaining = remaining + %s WHERE id = %s AND account_id = %s",
            [(taken, lot_id, wallet_id) for lot_id, taken in lots],
        )
    sink = organisation_account_id(organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        organisation_id,
        LedgerTransaction.Kind.REFUND,
        [(sink, -points, None), (wallet_id, points, balance)],
        reference=reference,
        memo=memo,
    )
