"""Points requests: submit (credit at once or wait for approval), approve, reject, reverse."""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from plum.core import audit
from plum.core.actor import Actor
from plum.core.db import fetchone
from plum.core.ids import parse_uuid
from plum.core.outbox import Event, outbox_emit
from points import ledger
from points.commands import PointsRequestCommand, PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.errors import PointsError, PointsErrorCode
from points.ledger import acceptance
from points.models import PointsRequest, Programme
from points.selectors import points_request_document
from points.services.single_credit import CreditStatementFailed, credit_in_one_statement
from users.models import Employee

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    request: PointsRequest
    replayed: bool

    @property
    def http_status(self) -> int:
        if self.replayed:
            return 200
        return 202 if self.request.status == PointsRequest.Status.PENDING_APPROVAL else 201


def fingerprint(clean: dict) -> str:
    body = {k: v for k, v in clean.items() if k != "request_id"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


_PROGRAMME_COLUMNS = ("id", "code", "status", "approval_threshold", "max_points_per_request", "points_validity_days")


def _programme(actor: Actor, code: str) -> Programme | None:
    row = fetchone(
        f"SELECT {', '.join(_PROGRAMME_COLUMNS)} FROM points_programme WHERE organisation_id = %s AND code = %s",  # noqa: S608 (column names from a constant tuple; values are parameters)
        [actor.organisation_id, code],
    )
    return (
        None
        if row is None
        else Programme(organisation_id=actor.organisation_id, **dict(zip(_PROGRAMME_COLUMNS, row, strict=True)))
    )


def _employee(actor: Actor, employee_id: str) -> Employee | None:
    row = fetchone(
        "SELECT id, status FROM users_employee WHERE organisation_id = %s AND employee_id = %s",
        [actor.organisation_id, employee_id],
    )
    return (
        None
        if row is None
        else Employee(id=row[0], organisation_id=actor.organisation_id, employee_id=employee_id, status=row[1])
    )


def _refusal(outcome: str, code: str, employee_id: str, programme) -> PointsError:
    if outcome == acceptance.PROGRAMME_NOT_FOUND:
        return PointsError(outcome, f"No programme {code!r}.", field="programme")
    if outcome == acceptance.PROGRAMME_INACTIVE:
        return PointsError(outcome, f"Programme {code!r} is inactive.", field="programme")
    if outcome == acceptance.EMPLOYEE_NOT_FOUND:
        return PointsError(outcome, f"No employee {employee_id!r}.", field="employee_id")
    if outcome == acceptance.EMPLOYEE_INACTIVE:
        return PointsError(outcome, f"Employee {employee_id!r} is inactive.", field="employee_id")
    maximum = programme.max_points_per_request
    return PointsError(outcome, f"Points must be from 1 to {maximum} in programme {code!r}.", field="points")


def request_outcome(*, code: str, programme, employee_id: str, employee_status, points: int) -> str | PointsError:
    """What a points request comes to on values already loaded (points.ledger.acceptance, the rule the
    one-statement credit applies in SQL): CREDITED, PENDING_APPROVAL, or the refusal to raise. A single
    request and a batch item are decided by this one function."""
    outcome = acceptance.programme_decision(programme, employee_status, points)
    if outcome in (acceptance.CREDITED, acceptance.PENDING_APPROVAL):
        return outcome
    return _refusal(outcome, code, employee_id, programme)


def _replay(actor: Actor, clean: dict) -> Submitted | None:
    row = fetchone(
        "SELECT id, fingerprint FROM points_pointsrequest WHERE organisation_id = %s AND request_id = %s",
        [actor.organisation_id, clean["request_id"]],
    )
    if row is None:
        return None
    if row[1] != fingerprint(clean):
        raise PointsError(
            PointsErrorCode.REQUEST_ID_CONFLICT,
            f"request_id {clean['request_id']!r} was already used with another body.",
            field="request_id",
        )
    request = PointsRequest.objects.select_related("employee", "programme").get(pk=row[0])
    return Submitted(_as_first_answered(request), replayed=True)


def _as_first_answered(request: PointsRequest) -> PointsRequest:
    """The request as its submission answered it, for a replay (docs/api.md: "200 with the first answer"):
    credited at once, or waiting for approval. What came later (an approval, a rejection, a reversal)
    is left out; GET /points/requests/{id}/ tells the request as it is now. Never saved."""
    if request.credited_at is None or request.decided_at is not None:  # it waited for a decision
        request.status = PointsRequest.Status.PENDING_APPROVAL
        request.balance_after = request.transaction_id = request.lot_id = None
        request.credited_at = request.expires_at = request.decided_at = None
    else:
        request.status = PointsRequest.Status.CREDITED
    request.reversed_at, request.reversal_reason = None, ""
    return request


def _emit(actor: Actor, request: PointsRequest, event_type: str, action: str, before: dict | None = None) -> None:
    """The event and the audit entry: a new request's fields, or what a decision changed (`before`)."""
    event = Event(event_type, "points_request", str(request.id), points_request_document(request))
    outbox_emit(organisation_id=request.organisation_id, event=event)
    if before is None:
        changes = audit.created(event.payload)
    else:
        changes = audit.changes_between(before, _audited(request, event.payload))
    audit.record(actor=actor, action=action, object_type="points_request", object_id=str(request.id), changes=changes)


def _audited(request: PointsRequest, document: dict | None = None) -> dict:
    """What a decision's entry compares: the document and who decided with which note."""
    document = points_request_document(request) if document is None else document
    return {**document, "decided_by": request.decided_by, "decision_note": request.decision_note}


def _credit(request: PointsRequest, programme: Programme, now) -> None:
    credit = ledger.Award(
        employee=request.employee_id,
        programme=programme,
        points=request.points,
        reference=request.request_id,
        memo=request.reason,
        expires_at=now + timedelta(days=programme.points_validity_days),
    )
    ledger.credit_many(request.organisation_id, [credit], now)
    request.status = PointsRequest.Status.CREDITED
    request.transaction_id, request.lot_id = credit.transaction_id, credit.lot_id
    request.balance_after = credit.balance_after
    request.credited_at = now
    request.expires_at = credit.expires_at


_INSERT_REQUEST = """
INSERT INTO points_pointsrequest (id, organisation_id, request_id, fingerprint, employee_id, programme_id, points,
    reason, source, metadata, status, decided_by, decision_note, reversal_reason, created_at, updated_at)
VALUES (%(id)s, %(org)s, %(request_id)s, %(fingerprint)s, %(employee)s, %(programme)s, %(points)s, %(reason)s,
    %(source)s, %(metadata)s, %(status)s, '', '', '', %(now)s, %(now)s)
ON CONFLICT (organisation_id, request_id) DO NOTHING
RETURNING id
"""
_MARK_CREDITED = """
UPDATE points_pointsrequest SET status = 'credited', transaction_id = %s, lot_id = %s, balance_after = %s,
    credited_at = %s, expires_at = %s, updated_at = %s
WHERE id = %s
"""


def points_request_submit(*, actor: Actor, command: PointsRequestCommand, savepoint: bool = True) -> Submitted | None:
    """Credit at once under the programme's approval threshold (201), else wait for approval (202).
    A repeated request_id replays (200) with the same body and is refused (409) with another.
    savepoint=False, for a caller in a transaction it can run again whole: the one statement runs without
    a savepoint of its own (two round trips fewer). Answers and refusals leave nothing behind, as with
    one; but when the statement fails (no budget shard free at once) the caller's transaction is aborted:
    None is returned, and the caller must roll back and submit again with a savepoint.

    The common case is credited by one statement (single_credit); the rest is hand-written SQL on
    purpose: this is the path of every single credit, and the ORM's query building cost more than the
    database work."""
    clean = command.as_clean()
    now = timezone.now()
    try:
        credited = credit_in_one_statement(actor, clean, fingerprint=fingerprint(clean), now=now, savepoint=savepoint)
    except CreditStatementFailed:
        return None
    if credited:
        return Submitted(credited, replayed=False)
    logger.debug("points request %s takes the general path", clean["request_id"])
    if replay := _replay(actor, clean):
        return replay
    with transaction.atomic():
        programme = _programme(actor, clean["programme"])
        employee = _employee(actor, clean["employee_id"])
        outcome = request_outcome(
            code=clean["programme"],
            programme=programme,
            employee_id=clean["employee_id"],
            employee_status=employee.status if employee else None,
            points=clean["points"],
        )
        if isinstance(outcome, PointsError):
            raise outcome
        request = PointsRequest(
            id=uuid.uuid4(),
            organisation_id=actor.organisation_id,
            request_id=clean["request_id"],
            fingerprint=fingerprint(clean),
            employee=employee,
            programme=programme,
            points=clean["points"],
            reason=clean["reason"],
            source=clean["source"],
            metadata=clean["metadata"],
            status=PointsRequest.Status.PENDING_APPROVAL,
            created_at=now,
            updated_at=now,
        )
        # The unique request_id decides between parallel identical requests (the loser waits, then sees it).
        inserted = fetchone(
            _INSERT_REQUEST,
            {
                "id": request.id,
                "org": request.organisation_id,
                "request_id": request.request_id,
                "fingerprint": request.fingerprint,
                "employee": employee.pk,
                "programme": programme.pk,
                "points": request.points,
                "reason": request.reason,
                "source": request.source,
                "metadata": Jsonb(request.metadata),
                "status": request.status,
                "now": now,
            },
        )
        if inserted is not None:
            if outcome == acceptance.PENDING_APPROVAL:
                _emit(actor, request, "points_request.pending_approval", "points_request.pending_approval")
            else:
                _credit(request, programme, now)
                fetchone(
                    _MARK_CREDITED + " RETURNING id",
                    [
                        request.transaction_id,
                        request.lot_id,
                        request.balance_after,
                        request.credited_at,
                        request.expires_at,
                        now,
                        request.id,
                    ],
                )
                _emit(actor, request, "points_request.credited", "points_request.credited")
    if inserted is None:
        return _replay(actor, clean)
    return Submitted(request, replayed=False)


def _locked_request(actor: Actor, request_uuid) -> PointsRequest:
    pk = parse_uuid(request_uuid)
    request = (
        PointsRequest.objects.select_for_update(of=("self",))
        .select_related("programme", "employee")
        .filter(organisation_id=actor.organisation_id, pk=pk)
        .first()
        if pk is not None
        else None
    )
    if request is None:
        raise PointsError(PointsErrorCode.REQUEST_NOT_FOUND, "No such points request in this organisation.")
    return request


def _decide(request: PointsRequest, actor: Actor, note: str, now) -> None:
    if request.status != PointsRequest.Status.PENDING_APPROVAL:
        raise PointsError(PointsErrorCode.REQUEST_NOT_PENDING, f"The request is {request.status}, not pending.")
    request.decided_at = now
    request.decided_by = actor.label
    request.decision_note = note


def points_request_approve(*, actor: Actor, request_uuid, command: PointsRequestDecisionCommand) -> PointsRequest:
    note = command.note or ""
    now = timezone.now()
    with transaction.atomic():
        request = _locked_request(actor, request_uuid)
        before = _audited(request)
        _decide(request, actor, note, now)
        if request.employee.status != Employee.Status.ACTIVE:
            raise PointsError(PointsErrorCode.EMPLOYEE_INACTIVE, "The employee is inactive.")
        if request.programme.status != Programme.Status.ACTIVE:
            raise PointsError(PointsErrorCode.PROGRAMME_INACTIVE, "The programme is inactive.")
        _credit(request, request.programme, now)
        request.save()
        _emit(actor, request, "points_request.credited", "points_request.approved", before)
    return request


def points_request_reject(*, actor: Actor, request_uuid, command: PointsRequestDecisionCommand) -> PointsRequest:
    note = command.note or ""
    now = timezone.now()
    with transaction.atomic():
        request = _locked_request(actor, request_uuid)
        before = _audited(request)
        _decide(request, actor, note, now)
        request.status = PointsRequest.Status.REJECTED
        request.save()
        _emit(actor, request, "points_request.rejected", "points_request.rejected", before)
    return request


def points_request_reverse(*, actor: Actor, request_uuid, command: PointsRequestReverseCommand) -> PointsRequest:
    """Take the request's points back from the lot it created and return them to the budget.
    Points already spent (or expired) cannot be taken back: insufficient_balance, nothing changes."""
    reason = command.reason or ""
    now = timezone.now()
    with transaction.atomic():
        request = _locked_request(actor, request_uuid)
        if request.status != PointsRequest.Status.CREDITED:
            raise PointsError(PointsErrorCode.REQUEST_NOT_CREDITED, f"The request is {request.status}, not credited.")
        before = _audited(request)
        request.reversal_transaction = ledger.reverse_credit(
            request.organisation_id,
            request.employee_id,
            request.programme,
            request.lot_id,
            request.points,
            now,
            reference=request.request_id,
            memo=reason,
        )
        request.status = PointsRequest.Status.REVERSED
        request.reversed_at = now
        request.reversal_reason = reason
        request.save()
        _emit(actor, request, "points_request.reversed", "points_request.reversed", before)
    return request
