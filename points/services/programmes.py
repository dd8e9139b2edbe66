"""Programmes and their budgets."""

from django.db import IntegrityError, transaction
from django.db.models import Sum

from plum.core import audit
from plum.core.actor import Actor
from plum.core.text import storable_text
from points.commands import ProgrammeCommand, ProgrammeTopupCommand
from points.errors import PointsError, PointsErrorCode
from points.ledger import budget_shards_create, budget_topup, post_transaction
from points.models import Account, LedgerTransaction, Programme


def programme_create(*, actor: Actor, command: ProgrammeCommand) -> Programme:
    with transaction.atomic():
        try:
            with transaction.atomic():
                programme = Programme.objects.create(organisation_id=actor.organisation_id, **command.model_dump())
        except IntegrityError as exc:
            if "programme_code_per_org" in str(exc):
                raise PointsError(
                    PointsErrorCode.PROGRAMME_EXISTS, f"Programme {command.code!r} already exists.", field="code"
                ) from None
            raise
        budget_shards_create(programme)
        audit.record(
            actor=actor,
            action="programme.created",
            object_type="programme",
            object_id=programme.code,
            changes=audit.created({**command.model_dump(), "status": programme.status}),
        )
    return programme


def programme_topup(*, actor: Actor, command: ProgrammeTopupCommand) -> LedgerTransaction:
    """Move points from the organisation's funding account into a programme's budget."""
    with transaction.atomic():
        programme = None
        if storable_text(command.programme):  # a NUL names no programme; PostgreSQL would refuse the query
            programme = Programme.objects.filter(organisation_id=actor.organisation_id, code=command.programme).first()
        if programme is None:
            raise PointsError(PointsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {command.programme!r}.")
        lines = budget_topup(programme, command.points)
        posted = post_transaction(
            actor.organisation_id,
            LedgerTransaction.Kind.TOPUP,
            lines,
            reference=f"topup:{programme.code}",
            memo=command.memo or f"Top-up by {actor.label}",
        )
        # exact: budget_topup holds every shard of the programme until the transaction ends
        shards = Account.objects.filter(programme=programme, kind=Account.Kind.BUDGET)
        after = shards.aggregate(total=Sum("balance"))["total"]
        changes = {"budget_balance": [after - command.points, after], "memo": [None, posted.memo]}
        audit.record(
            actor=actor,
            action="programme.topped_up",
            object_type="programme",
            object_id=programme.code,
            changes=changes,
        )
        return posted
