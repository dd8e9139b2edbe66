"""Credit many: wallets from programme budgets, one lot and one ledger transaction per credit.

Every award goes through credit_many (a single request's general path with a list of one, an approval,
a batch chunk with thousands); the one-statement credit of sql/points_request_credit.sql writes the same
rows for the common single case. A transaction per credit, not per chunk: the balance trigger sums a
transaction's entries, so small transactions keep it linear.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from plum.core.db import copy_text
from plum.core.ids import uuid7
from points.errors import PointsError, PointsErrorCode
from points.ledger.accounts import wallets_lock
from points.ledger.budget import budget_take, budget_take_each, split_lines
from points.ledger.postings import copy_ledger_rows, set_balances
from points.models import LedgerTransaction, Programme


class Credit(Protocol):
    """What credit_many reads of a credit (employee: its primary key) and writes back to it."""

    employee: UUID
    programme: Programme
    points: int
    reference: str
    memo: str
    transaction_id: UUID
    lot_id: UUID
    expires_at: datetime
    wallet_id: int | None
    balance_after: int | None
    budget_lines: tuple


@dataclass(eq=False)
class Award:
    """A credit of its own, for callers that hold no item of theirs to credit (a single request)."""

    employee: UUID
    programme: Programme
    points: int
    reference: str
    memo: str
    expires_at: datetime
    transaction_id: UUID = field(default_factory=uuid7)
    lot_id: UUID = field(default_factory=uuid7)
    wallet_id: int | None = None
    balance_after: int | None = None
    budget_lines: tuple = ()


def credit_many(organisation_id, credits: list[Credit], now: datetime, *, pay_what_lasts: bool = False) -> list[Credit]:
    """Credit each wallet by its credit's points from its programme's budget, inside the caller's
    transaction: wallets (created on first use) locked in primary-key order, then each programme's budget
    taken once (programmes in primary-key order), then lots, transactions and entries by COPY.

    When a budget cannot pay all of its programme's credits: raises budget_exhausted, or with
    `pay_what_lasts` pays them in order while it lasts and answers the ones it could not pay (nothing is
    written for those). Sets wallet_id, balance_after and budget_lines on each credit paid."""
    if not credits:
        return []
    wallets = wallets_lock(organisation_id, [c.employee for c in credits])
    by_programme: dict = {}
    for credit in credits:
        credit.wallet_id = wallets[credit.employee][0]
        by_programme.setdefault(credit.programme.pk, []).append(credit)
    unpaid = []
    for pk in sorted(by_programme):
        group = by_programme[pk]
        programme, total = group[0].programme, sum(c.points for c in group)
        try:
            lines = budget_take(programme, total)
        except PointsError as exc:
            if exc.code != PointsErrorCode.BUDGET_EXHAUSTED or not pay_what_lasts:
                raise
            lines, paid = budget_take_each(programme, [c.points for c in group])
            unpaid += [c for c, ok in zip(group, paid, strict=True) if not ok]
            group = [c for c, ok in zip(group, paid, strict=True) if ok]
        for credit, share in zip(group, split_lines(lines, [c.points for c in group]), strict=True):
            credit.budget_lines = share
    if unpaid:
        refused = {id(c) for c in unpaid}
        credits = [c for c in credits if id(c) not in refused]
    _write(organisation_id, credits, dict(wallets.values()), now)
    return unpaid


def _write(organisation_id, credits: list, balances: dict[int, int], now: datetime) -> None:
    for credit in credits:
        balances[credit.wallet_id] += credit.points
        credit.balance_after = balances[credit.wallet_id]
    set_balances({credit.wallet_id: balances[credit.wallet_id] for credit in credits})
    stamp, org, award = now.isoformat(), str(organisation_id), LedgerTransaction.Kind.AWARD.value
    lots, transactions, entries = [], [], []
    for credit in credits:
        reference, txn, wallet, points = (
            copy_text(credit.reference),
            str(credit.transaction_id),
            str(credit.wallet_id),
            str(credit.points),
        )
        lots.append((str(credit.lot_id), org, wallet, points, points, credit.expires_at.isoformat(), stamp))
        transactions.append((txn, org, award, reference, copy_text(credit.memo[:500]), stamp))
        entries.append((str(uuid7()), txn, wallet, points, str(credit.balance_after), reference, stamp))
        entries += [
            (str(uuid7()), txn, str(shard), str(amount), str(after), reference, stamp)
            for shard, amount, after in credit.budget_lines
        ]
    copy_ledger_rows(lots=lots, transactions=transactions, entries=entries)
