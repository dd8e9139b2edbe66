"""Wallets over time: expiry of their lots, and the reconciliation that proves every cached balance."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from points import ledger
from points.models import Account, ReconciliationIssue

logger = logging.getLogger(__name__)


def lots_expire(*, now=None, wallets_per_run: int = 1000) -> int:
    """Move what is left of lots past their expiry into the expiry sink; one transaction per wallet.
    Answers the number of points expired. Safe to run twice at once: each wallet is locked first."""
    now = now or timezone.now()
    expired = 0
    for wallet_id in ledger.wallets_with_lots_due(now, wallets_per_run):
        try:
            with transaction.atomic():
                expired += ledger.expire_wallet(wallet_id, now)
        except IntegrityError:  # a broken wallet (see ledger_reconcile) must not stop expiry for the others
            logger.exception("Expiry of wallet %s refused by the database", wallet_id)
    return expired


def ledger_reconcile() -> list[ReconciliationIssue]:
    """Prove cached balances: balance = sum of entries (every tracked account), = sum of lots (wallets).
    Every mismatch is logged as an error on every run, and recorded for the admin once: a mismatch
    already open with the same figures is answered, not recorded again."""
    found = []
    for account_id, organisation_id, kind, balance, entries, lots in ledger.balance_mismatches():
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
