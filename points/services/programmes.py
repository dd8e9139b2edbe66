"""Programmes and their budgets."""

from django.db import IntegrityError, transaction

from plum.core.actor import Actor
from plum.core.text import storable_text
from points.commands import ProgrammeCommand, ProgrammeTopupCommand
from points.errors import PointsError, PointsErrorCode
from points.ledger import budget_shards_create, budget_topup, post_transaction
from points.models import LedgerTransaction, Programme


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
        return post_transaction(
            actor.organisation_id,
            LedgerTransaction.Kind.TOPUP,
            lines,
            reference=f"topup:{programme.code}",
            memo=command.memo or f"Top-up by {actor.label}",
        )
