"""Moves between a programme's budget and the organisation's redemption sink: what other rooms pay with
(an order, a campaign chunk) and give back."""

from points.errors import PointsError, PointsErrorCode
from points.ledger.accounts import organisation_account_id
from points.ledger.budget import budget_give, budget_take, budget_take_each
from points.ledger.postings import post_transaction
from points.models import Account, LedgerTransaction, Programme


def budget_to_sink(programme: Programme, points: int, *, reference: str, memo: str = "") -> LedgerTransaction:
    """Pay `points` from the programme's budget into the redemption sink; raises budget_exhausted."""
    return _to_sink(programme, budget_take(programme, points), points, reference, memo)


def budget_units_to_sink(
    programme: Programme, unit_points: int, count: int, *, reference: str, memo: str = ""
) -> tuple[int, LedgerTransaction | None]:
    """Pay for as many of `count` units of `unit_points` as the budget can, in one ledger transaction:
    answers (units paid, the transaction or None when it could pay none)."""
    try:
        return count, budget_to_sink(programme, unit_points * count, reference=reference, memo=memo)
    except PointsError as exc:
        if exc.code != PointsErrorCode.BUDGET_EXHAUSTED:
            raise
    lines, paid = budget_take_each(programme, [unit_points] * count)
    units = sum(paid)
    if not units:
        return 0, None
    return units, _to_sink(programme, lines, unit_points * units, reference, memo)


def _to_sink(programme: Programme, lines: list, points: int, reference: str, memo: str) -> LedgerTransaction:
    sink = organisation_account_id(programme.organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        programme.organisation_id,
        LedgerTransaction.Kind.SPEND,
        [*lines, (sink, points, None)],
        reference=reference,
        memo=memo,
    )


def sink_to_budget(programme: Programme, points: int, *, reference: str, memo: str = "") -> LedgerTransaction:
    """Give `points` back from the redemption sink to the programme's budget."""
    lines = budget_give(programme, points)
    sink = organisation_account_id(programme.organisation_id, Account.Kind.REDEMPTION)
    return post_transaction(
        programme.organisation_id,
        LedgerTransaction.Kind.REFUND,
        [(sink, -points, None), *lines],
        reference=reference,
        memo=memo,
    )
