"""Wallets: balances from lots, expiring points, ledger lines."""

from datetime import timedelta

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.timefmt import iso
from points.models import Account, LedgerEntry
from users.errors import EmployeeNotFound
from users.selectors import employee_get

EXPIRING_WITHIN = timedelta(days=90)


def wallet_account(*, actor: Actor, employee_id: str) -> tuple[object, Account | None]:
    """(employee, wallet account or None when it never moved). Unknown employee: 404."""
    employee = employee_get(actor=actor, employee_id=employee_id)
    return employee, Account.objects.filter(kind=Account.Kind.WALLET, employee=employee).first()


def wallet_get(*, actor: Actor, employee_id: str) -> dict:
    """Balance = the unexpired points of the wallet's lots (points past their expiry leave the ledger
    balance when the expiry task runs, but are never spendable)."""
    employee = employee_get(actor=actor, employee_id=employee_id)
    return wallet_documents(actor=actor, employees=[employee])[employee.pk]


# One statement for a page: per wallet its spendable balance, what expires within the window (by date, the
# first 50) and its last movement, each read through its own index (lot_open_by_expiry, ledger_entry_account).
_WALLETS_SQL = """
SELECT a.employee_id,
    (SELECT COALESCE(SUM(l.remaining), 0) FROM points_lot l
     WHERE l.account_id = a.id AND l.remaining > 0 AND l.expires_at > %(now)s),
    soon.dates, soon.points,
    (SELECT e.created_at FROM points_ledgerentry e WHERE e.account_id = a.id
     ORDER BY e.created_at DESC, e.id DESC LIMIT 1)
FROM points_account a
CROSS JOIN LATERAL (
    SELECT array_agg(s.expires_at ORDER BY s.expires_at) AS dates, array_agg(s.points ORDER BY s.expires_at) AS points
    FROM (SELECT l.expires_at, SUM(l.remaining) AS points FROM points_lot l
          WHERE l.account_id = a.id AND l.remaining > 0 AND l.expires_at > %(now)s AND l.expires_at <= %(soon)s
          GROUP BY l.expires_at ORDER BY l.expires_at LIMIT 50) s
) soon
WHERE a.organisation_id = %(organisation)s AND a.kind = 'wallet' AND a.employee_id = ANY(%(employees)s)
"""


def wallet_documents(*, actor: Actor, employees) -> dict[int, dict]:
    """The wallet of each of `employees` of the actor's organisation, by employee pk, as wallet_get shows
    it, in one query whatever their number (a page of employees with their balances). A wallet that never
    moved answers balance 0 and `updated_at` None (a batch may open a wallet it then cannot pay)."""
    documents = {
        e.pk: {"employee_id": e.employee_id, "balance": 0, "expiring": [], "updated_at": None}
        for e in employees
        if e.organisation_id == actor.organisation_id
    }
    if not documents:
        return documents
    now = timezone.now()
    params = {"now": now, "soon": now + EXPIRING_WITHIN, "organisation": actor.organisation_id}
    with connection.cursor() as cursor:
        cursor.execute(_WALLETS_SQL, {**params, "employees": list(documents)})
        for employee_pk, balance, dates, points, updated_at in cursor.fetchall():
            document = documents[employee_pk]
            document["balance"] = int(balance)
            document["expiring"] = [
                {"points": int(p), "expires_at": iso(d)} for d, p in zip(dates or (), points or (), strict=True)
            ]
            document["updated_at"] = iso(updated_at) if updated_at else None
    return documents


def wallet_lines(*, actor: Actor, employee_id: str, unknown_is_empty: bool = False) -> QuerySet[LedgerEntry]:
    """The wallet's ledger lines; an unknown employee is 404, or no lines with `unknown_is_empty`."""
    try:
        _, account = wallet_account(actor=actor, employee_id=employee_id)
    except EmployeeNotFound:
        if not unknown_is_empty:
            raise
        account = None
    if account is None:
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.filter(account=account).select_related("transaction")


def wallet_line_document(entry: LedgerEntry) -> dict:
    return {
        "id": str(entry.id),
        "kind": entry.transaction.kind,
        "points": entry.amount,
        "balance_after": entry.balance_after,
        "reference": entry.reference,
        "created_at": iso(entry.created_at),
    }
