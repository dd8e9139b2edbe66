"""Reads of the points app, always scoped to the caller's organisation."""

from collections.abc import Mapping
from datetime import timedelta

from django.db.models import F, Max, OuterRef, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso
from points.errors import PointsError, PointsErrorCode
from points.filters import PointsRequestFilter
from points.models import Account, LedgerEntry, Lot, PointsRequest, Programme
from users.selectors import employee_get

EXPIRING_WITHIN = timedelta(days=90)


def _budget_balance():
    shards = (
        Account.objects.filter(programme=OuterRef("pk"), kind=Account.Kind.BUDGET)
        .values("programme")
        .annotate(total=Sum("balance"))
        .values("total")
    )
    return Coalesce(Subquery(shards), 0)


def programme_list(*, actor: Actor) -> QuerySet[Programme]:
    return Programme.objects.filter(organisation_id=actor.organisation_id).annotate(budget_balance=_budget_balance())


def programme_get(*, actor: Actor, code: str) -> Programme:
    programme = programme_list(actor=actor).filter(code=code).first()
    if programme is None:
        raise PointsError(PointsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {code!r}.")
    return programme


def programme_admin_list() -> QuerySet[Programme]:
    """Every organisation's programmes with their budget: operations tooling acts across organisations."""
    return Programme.objects.annotate(budget_balance=_budget_balance()).select_related("organisation")


def programme_document(p: Programme) -> dict:
    """The one representation of a programme; `p` comes from programme_list (it carries budget_balance)."""
    return {
        "code": p.code,
        "name": p.name,
        "budget_balance": p.budget_balance,
        "approval_threshold": p.approval_threshold,
        "max_points_per_request": p.max_points_per_request,
        "points_validity_days": p.points_validity_days,
        "status": str(p.status),
    }


def points_request_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[PointsRequest]:
    requests = PointsRequest.objects.filter(organisation_id=actor.organisation_id).select_related(
        "employee", "programme"
    )
    filterset = PointsRequestFilter(data=filters or {}, queryset=requests)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def points_request_get(*, actor: Actor, request_uuid) -> PointsRequest:
    pk = parse_uuid(request_uuid)
    request = None if pk is None else points_request_list(actor=actor).filter(pk=pk).first()
    if request is None:
        raise PointsError(PointsErrorCode.REQUEST_NOT_FOUND, "No such points request in this organisation.")
    return request


def points_request_document(r: PointsRequest) -> dict:
    """The one representation of a points request: REST answers, events, the originating system's receipt."""
    return {
        "id": str(r.id),
        "request_id": r.request_id,
        "status": str(r.status),
        "points": r.points,
        "employee_id": r.employee.employee_id,
        "programme": r.programme.code,
        "reason": r.reason,
        "source": r.source,
        "metadata": r.metadata,
        "balance_after": r.balance_after,
        "transaction_id": str(r.transaction_id) if r.transaction_id else None,
        "credited_at": iso(r.credited_at),
        "expires_at": iso(r.expires_at),
        "decided_at": iso(r.decided_at),
        "reversed_at": iso(r.reversed_at),
        "reversal_reason": r.reversal_reason,
        "created_at": iso(r.created_at),
    }


def wallet_account(*, actor: Actor, employee_id: str) -> tuple[object, Account | None]:
    """(employee, wallet account or None when it never moved). Unknown employee: 404."""
    employee = employee_get(actor=actor, employee_id=employee_id)
    return employee, Account.objects.filter(kind=Account.Kind.WALLET, employee=employee).first()


def wallet_get(*, actor: Actor, employee_id: str) -> dict:
    """Balance = the unexpired points of the wallet's lots (points past their expiry leave the ledger
    balance when the expiry task runs, but are never spendable)."""
    employee = employee_get(actor=actor, employee_id=employee_id)
    return wallet_documents(actor=actor, employees=[employee])[employee.pk]


def wallet_documents(*, actor: Actor, employees) -> dict[int, dict]:
    """The wallet of each of `employees` of the actor's organisation, by employee pk, as wallet_get shows
    it: four queries at most, whatever their number (a page of employees with their balances)."""
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
    # null until the first entry: a batch may open a wallet it then cannot pay
    last_entries = LedgerEntry.objects.filter(account_id__in=list(wallets)).values("account_id")
    for row in last_entries.annotate(last=Max("created_at")).order_by():
        documents[wallets[row["account_id"]]]["updated_at"] = iso(row["last"])
    return documents


def wallet_lines(*, actor: Actor, employee_id: str) -> QuerySet[LedgerEntry]:
    _, account = wallet_account(actor=actor, employee_id=employee_id)
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
