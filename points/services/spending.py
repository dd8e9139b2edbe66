"""Spending: a wallet's points (voucher orders), a programme's budget (campaigns, orders paid by the
budget), and the refunds of both. Each runs in the caller's transaction when there is one (the vouchers
app pays an order or a campaign chunk with them), so a failure later in the caller undoes it too."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.text import storable_text
from points import ledger
from points.errors import PointsError, PointsErrorCode
from points.models import LedgerTransaction, Programme
from users.models import Employee

MAX_POINTS = 2**63 - 1  # a bigint


@dataclass(frozen=True)
class Spent:
    transaction: LedgerTransaction
    balance_after: int
    lots: list[tuple[object, int]]  # (lot id, points taken)


def points_spend(*, actor: Actor, employee_id: str, points: int, reference: str, memo: str = "", now=None) -> Spent:
    """Debit a wallet into the redemption sink, consuming the lots that expire first; never overdraws.
    `now` (default: the current time) decides which lots are still spendable."""
    errors = []
    if not isinstance(employee_id, str) or not storable_text(employee_id):
        errors.append(field_error("employee_id", CoreErrorCode.INVALID, "A string."))
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        errors.append(field_error("points", CoreErrorCode.INVALID, f"A whole number from 1 to {MAX_POINTS}."))
    if not isinstance(reference, str) or len(reference) > 128 or not storable_text(reference):
        errors.append(field_error("reference", CoreErrorCode.INVALID, "A string of at most 128 characters."))
    if not isinstance(memo, str) or not storable_text(memo):  # a long memo is cut to 500 characters
        errors.append(field_error("memo", CoreErrorCode.INVALID, "A string."))
    if errors:  # else PostgreSQL would refuse them with a DataError, a 500 at the door
        raise ValidationFailed(errors)
    now = now or timezone.now()
    with transaction.atomic():
        employee = Employee.objects.filter(organisation_id=actor.organisation_id, employee_id=employee_id).first()
        if employee is None:
            raise PointsError(PointsErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {employee_id!r}.", field="employee_id")
        txn, balance, lots = ledger.debit_wallet(
            actor.organisation_id, employee.pk, points, now, reference=reference, memo=memo
        )
    return Spent(txn, balance, lots)


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
    return ledger.budget_to_sink(programme, points, reference=reference, memo=memo)


def budget_spend_units(
    *, programme: Programme, unit_points: int, count: int, reference: str, memo: str = ""
) -> tuple[int, LedgerTransaction | None]:
    """Pay for as many of `count` units of `unit_points` as the budget can, in one transaction:
    answers (units paid, the ledger transaction or None when it could pay none)."""
    _in_transaction()
    return ledger.budget_units_to_sink(programme, unit_points, count, reference=reference, memo=memo)


def budget_refund(*, programme: Programme, points: int, reference: str, memo: str = "") -> LedgerTransaction:
    """Give `points` back from the redemption sink to the programme's budget."""
    _in_transaction()
    return ledger.sink_to_budget(programme, points, reference=reference, memo=memo)


def points_refund(
    *, organisation_id, employee_pk, lots: list[tuple[str, int]], reference: str, memo: str = ""
) -> LedgerTransaction:
    """Give spent points back to the wallet, into the very lots they were taken from (so they keep
    their expiry: a lot already past it is expired again by the next expiry run)."""
    _in_transaction()
    return ledger.refund_into_lots(organisation_id, employee_pk, lots, reference=reference, memo=memo)
