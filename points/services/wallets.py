"""Spending and expiry: the debits of a wallet, always lot by lot."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.db import fetchall, fetchone
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.text import storable_text
from points.errors import PointsError, PointsErrorCode
from points.models import Account, LedgerTransaction, Lot, ReconciliationIssue
from points.services.ledger import (
    consume_lots,
    insufficient_balance,
    organisation_account_id,
    post_transaction,
    wallet_move,
)
from users.models import Employee

logger = logging.getLogger(__name__)
MAX_POINTS = 2**63 - 1  # a bigint


@dataclass(frozen=True)
class Spent:
    transaction: LedgerTransaction
    balance_after: int
    lots: list[tuple[object, int]]  # (lot id, points taken)


def points_spend(*, actor: Actor, employee_id: str, points: int, reference: str, memo: str = "") -> Spent:
    """Debit a wallet into the redemption sink, consuming the lots that expire first; never overdraws.

    Runs in the caller's transaction when there is one (the vouchers app pays an order with it), so a
    failure later in the caller undoes the debit too."""
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
    now = timezone.now()
    with transaction.atomic():
        employee = Employee.objects.filter(organisation_id=actor.organisation_id, employee_id=employee_id).first()
        if employee is None:
            raise PointsError(PointsErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {employee_id!r}.", field="employee_id")
        moved = wallet_move(actor.organisation_id, employee.pk, -points)
        if moved is None:
            raise insufficient_balance(points)
        wallet_id, balance = moved
        lots = consume_lots(wallet_id, points, now)
        sink = organisation_account_id(actor.organisation_id, Account.Kind.REDEMPTION)
        txn = post_transaction(
            actor.organisation_id,
            LedgerTransaction.Kind.SPEND,
            [(wallet_id, -points, balance), (sink, points, None)],
            reference=reference,
            memo=memo,
        )
    return Spent(txn, balance, lots)


def lots_expire(*, now=None, wallets_per_run: int = 1000) -> int:
    """Move what is left of lots past their expiry into the expiry sink; one transaction per wallet.
    Answers the number of points expired. Safe to run twice at once: each wallet is locked first."""
    now = now or timezone.now()
    wallet_ids = list(
        Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()[:wallets_per_run]
    )
    expired = 0
    for wallet_id in wallet_ids:
        try:
            expired += _expire_wallet(wallet_id, now)
        except IntegrityError:  # a broken wallet (see ledger_reconcile) must not stop expiry for the others
            logger.exception("Expiry of wallet %s refused by the database", wallet_id)
    return expired


def _expire_wallet(wallet_id: int, now) -> int:
    with transaction.atomic():
        # the lock a wallet_move takes, so spends, credits and reversals of this wallet wait for us
        (organisation_id,) = fetchone(
            "SELECT organisation_id FROM points_account WHERE id = %s FOR NO KEY UPDATE", [wallet_id]
        )
        lots = fetchall(
            "SELECT id, remaining FROM points_lot WHERE account_id = %s AND remaining > 0 AND expires_at <= %s"
            " FOR UPDATE",
            [wallet_id, now],
        )
        total = sum(remaining for _, remaining in lots)
        if not total:
            return 0  # another run got there first
        Lot.objects.filter(pk__in=[lot_id for lot_id, _ in lots]).update(remaining=0)
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


def ledger_reconcile() -> list[ReconciliationIssue]:
    """Prove cached balances: balance = sum of entries (every tracked account), = sum of lots (wallets).
    Every mismatch is logged as an error on every run, and recorded for the admin once: a mismatch
    already open with the same figures is answered, not recorded again. One statement, one snapshot, so
    transactions committing meanwhile cannot show up as mismatches."""
    rows = fetchall(
        """
        SELECT a.id, a.organisation_id, a.kind, a.balance, COALESCE(e.total, 0)::bigint, COALESCE(l.total, 0)::bigint
        FROM points_account a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM points_ledgerentry GROUP BY account_id) e
               ON e.account_id = a.id
        LEFT JOIN (SELECT account_id, SUM(remaining) AS total FROM points_lot GROUP BY account_id) l
               ON l.account_id = a.id
        WHERE a.kind NOT IN ('redemption', 'expiry')
          AND (a.balance <> COALESCE(e.total, 0) OR (a.kind = 'wallet' AND a.balance <> COALESCE(l.total, 0)))
        ORDER BY a.id
        """,
        [],
    )
    found = []
    for account_id, organisation_id, kind, balance, entries, lots in rows:
        checks = [(ReconciliationIssue.Kind.ENTRIES, entries)]
        if kind == Account.Kind.WALLET:
            checks.append((ReconciliationIssue.Kind.LOTS, lots))
        for issue_kind, computed in checks:
            if computed != balance:
                logger.error(
                    "Ledger mismatch on account %s (%s): cached %s, %s %s",
                    *(account_id, kind, balance, issue_kind, computed),
                )
                found.append(
                    ReconciliationIssue(
                        organisation_id=organisation_id,
                        account_id=account_id,
                        kind=issue_kind,
                        cached_balance=balance,
                        computed_balance=computed,
                    )
                )
    open_issues = ReconciliationIssue.objects.filter(resolved=False, account_id__in={i.account_id for i in found})
    known = {_figures(i): i for i in open_issues}
    issues = [known.get(_figures(i), i) for i in found]
    ReconciliationIssue.objects.bulk_create([i for i in issues if i.pk is None])
    return issues


def _figures(issue: ReconciliationIssue) -> tuple:
    return issue.account_id, str(issue.kind), issue.cached_balance, issue.computed_balance
