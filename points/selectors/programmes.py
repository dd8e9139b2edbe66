"""Programmes with their budget balance."""

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from plum.core.actor import Actor
from points.errors import PointsError, PointsErrorCode
from points.models import Account, Programme


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


def programme_codes_named() -> list[tuple[str, str]]:
    """(code, name) of every organisation's programmes, by code: operations staff filter by code."""
    return list(Programme.objects.order_by("code", "name").values_list("code", "name").distinct())
