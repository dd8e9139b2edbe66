"""Programmes and their budgets."""

import re

from django.db import IntegrityError, transaction

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.text import storable_text
from points.errors import PointsError, PointsErrorCode
from points.models import LedgerTransaction, Programme
from points.services.ledger import budget_shards_create, budget_topup, post_transaction

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PROGRAMME_FIELDS = {"code", "name", "approval_threshold", "max_points_per_request", "points_validity_days", "status"}
MAX_POINTS = 2_000_000_000
MAX_VALIDITY_DAYS = 36_500  # a hundred years; far beyond that an expiry date leaves the calendar


def _positive_int(data, name, errors, *, nullable=False, largest=MAX_POINTS):
    value = data.get(name)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        errors.append(field_error(name, CoreErrorCode.INVALID, f"A whole number from 1 to {largest}."))
    return value


def _clean_programme(data: dict) -> dict:
    errors = [
        field_error(k, CoreErrorCode.UNKNOWN_FIELD, f"Unknown field {k!r}.") for k in data if k not in PROGRAMME_FIELDS
    ]
    code, name = data.get("code"), data.get("name")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        errors.append(
            field_error(
                "code", CoreErrorCode.INVALID if code else CoreErrorCode.REQUIRED, "1 to 32 letters, digits, _ or -."
            )
        )
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or not storable_text(name):
        errors.append(
            field_error("name", CoreErrorCode.INVALID if name else CoreErrorCode.REQUIRED, "1 to 200 characters.")
        )
    clean = {"code": code, "name": name.strip() if isinstance(name, str) else name}
    clean["approval_threshold"] = _positive_int(data, "approval_threshold", errors, nullable=True)
    for key, default, largest in (
        ("max_points_per_request", 100_000, MAX_POINTS),
        ("points_validity_days", 365, MAX_VALIDITY_DAYS),
    ):
        clean[key] = _positive_int(data, key, errors, largest=largest) if key in data else default
    status = data.get("status", Programme.Status.ACTIVE)
    if status not in Programme.Status.values:
        errors.append(field_error("status", CoreErrorCode.INVALID, "Must be 'active' or 'inactive'."))
    clean["status"] = status
    if errors:
        raise ValidationFailed(errors)
    return clean


def programme_create(*, actor: Actor, data: dict) -> Programme:
    clean = _clean_programme(data if isinstance(data, dict) else {})
    with transaction.atomic():
        try:
            with transaction.atomic():
                programme = Programme.objects.create(organisation_id=actor.organisation_id, **clean)
        except IntegrityError as exc:
            if "programme_code_per_org" in str(exc):
                raise PointsError(
                    PointsErrorCode.PROGRAMME_EXISTS, f"Programme {clean['code']!r} already exists.", field="code"
                ) from None
            raise
        budget_shards_create(programme)
    return programme


def programme_topup(*, actor: Actor, programme_code: str, points: int, memo: str = "") -> LedgerTransaction:
    """Move points from the organisation's funding account into a programme's budget."""
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise ValidationFailed(
            [field_error("points", CoreErrorCode.INVALID, f"A whole number from 1 to {MAX_POINTS}.")]
        )
    if not storable_text(memo):
        raise ValidationFailed([field_error("memo", CoreErrorCode.INVALID, "Text without NUL characters.")])
    with transaction.atomic():
        programme = None
        if storable_text(programme_code):  # a NUL names no programme; PostgreSQL would refuse the query
            programme = Programme.objects.filter(organisation_id=actor.organisation_id, code=programme_code).first()
        if programme is None:
            raise PointsError(PointsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {programme_code!r}.")
        lines = budget_topup(programme, points)
        return post_transaction(
            actor.organisation_id,
            LedgerTransaction.Kind.TOPUP,
            lines,
            reference=f"topup:{programme.code}",
            memo=memo or f"Top-up by {actor.label}",
        )
