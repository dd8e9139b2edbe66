"""Wallets: balances from lots, expiring points, ledger lines."""

from datetime import timedelta

from django.db.models import F, Max, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.timefmt import iso
from points.models import Account, LedgerEntry, Lot
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


def wallet_documents(*, actor: Actor, employees, with_updated_at: bool = True) -> dict[int, dict]:
    """The wallet of each of `employees` of the actor's organisation, by employee pk, as wallet_get shows
    it: four queries at most, whatever their number (a page of employees with their balances). Without
    `with_updated_at` (a caller that does not show it) the scan of every wallet's entries for the last one
    is skipped and `updated_at` stays None."""
    documents = {
        e.pk: {"employee_id": e.employee_id, "balance": 0, "expiring": [], "updated_at": None}
        for e in employees
        if e.organisation_id == actor.organisation_id
    }
    wallets = dict(
        Account.objects.filter(
            organisation_id=actor.organisation_id, kind=Account.Kind.WALLET, employee_id__in=list(documents)
        ).values_list("pk", "employee_id")
    )
    if not wallets:
        return documents
    now = timezone.now()
    open_lots = Lot.objects.filter(account_id__in=list(wallets), remaining__gt=0, expires_at__gt=now)
    for row in open_lots.values("account_id").annotate(total=Sum("remaining")).order_by():
        documents[wallets[row["account_id"]]]["balance"] = row["total"]
    expiring = (
        open_lots.filter(expires_at__lte=now + EXPIRING_WITHIN)
        .values("account_id", "expires_at")
        .annotate(points=Sum("remaining"))
        .annotate(rank=Window(RowNumber(), partition_by=F("account_id"), order_by=F("expires_at").asc()))
        .filter(rank__lte=50)
        .order_by("account_id", "expires_at")
    )
    for row in expiring:
        documents[wallets[row["account_id"]]]["expiring"].append(
            {"points": row["points"], "expires_at": iso(row["expires_at"])}
        )
    if not with_updated_at:
        return documents
    # null until the first entry: a batch may open a wallet it then cannot pay
    last_entries = LedgerEntry.objects.filter(account_id__in=list(wallets)).values("account_id")
    for row in last_entries.annotate(last=Max("created_at")).order_by():
        documents[wallets[row["account_id"]]]["updated_at"] = iso(row["last"])
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
