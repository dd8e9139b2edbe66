"""One chunk of a batch, credited set-based inside the caller's transaction.

Each item gets the outcome a single points request with the same body would get (the checks, order and
codes of points_request_submit), but the chunk's rows are written with a few statements: its requests
in one COPY, then its credits through points.ledger.credit_many (wallets locked in primary-key order,
the budget taken once per programme, lots, ledger transactions and entries by COPY).

Lock order is that of points.ledger: requests, then wallets, then budget shards.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from uuid import UUID

from plum.core.db import array, fetchall
from plum.core.errors import ValidationFailed
from plum.core.ids import uuid7
from plum.core.outbox import outbox_copy_json
from points import ledger
from points.commands import PointsRequestCommand, check_each, points_request_clean
from points.errors import PointsError, PointsErrorCode
from points.models import PointsBatchItem, Programme
from points.selectors import points_request_document
from points.services.batch_sql import (
    existing_requests,
    insert_requests,
    set_balance_after,
    update_items,
)
from points.services.requests import fingerprint, request_outcome
from users.models import Employee

ITEM = PointsBatchItem.Status
MADE = (ITEM.CREDITED, ITEM.PENDING_APPROVAL)


@dataclass(slots=True, eq=False)
class Item:
    id: int
    index: int
    data: object
    clean: dict | None = None
    fingerprint: str = ""
    status: str = ""  # "" while undecided; still "" at the end: left queued for a later chunk
    error: tuple[str, str, str] = ("", "", "")  # code, field, message
    request_uuid: UUID | None = None
    employee: UUID | None = None  # primary key
    programme: Programme | None = None
    transaction_id: UUID | None = None
    lot_id: UUID | None = None
    expires_at: datetime | None = None
    wallet_id: int | None = None
    balance_after: int | None = None
    predicted: int | None = None
    budget_lines: tuple = ()

    @property
    def points(self) -> int:
        return self.clean["points"]

    @property
    def reference(self) -> str:  # what points.ledger.credit_many writes on the ledger rows
        return self.clean["request_id"]

    @property
    def memo(self) -> str:
        return self.clean["reason"]

    def reject(self, code, message: str, field: str | None = None) -> None:
        self.status, self.error = ITEM.REJECTED, (str(code), field or "", message[:500])

    def replay_or_conflict(self, request_uuid, request_fingerprint: str) -> None:
        if self.fingerprint == request_fingerprint:
            self.status, self.request_uuid = ITEM.REPLAYED, request_uuid
            return
        rid = self.clean["request_id"]
        self.reject(
            PointsErrorCode.REQUEST_ID_CONFLICT, f"request_id {rid!r} was already used with another body.", "request_id"
        )


def credit_chunk(*, organisation_id, batch_uuid, items: list[Item], now) -> list[Item]:
    """Decide and write the items' outcomes; answers the items decided (any other stays queued)."""
    return _Chunk(organisation_id, batch_uuid, now).run(items)


class _Chunk:
    def __init__(self, organisation_id, batch_uuid, now):
        self.organisation_id, self.batch_uuid, self.now = organisation_id, batch_uuid, now

    def run(self, items: list[Item]) -> list[Item]:
        live = _clean(items)
        self.known = existing_requests(self.organisation_id, {it.clean["request_id"] for it in live})
        firsts, repeats = self._split_repeats(live)
        self._check_business_rules(firsts)
        made = [it for it in firsts if it.status in MADE]
        self._insert_requests(made)
        credits = [it for it in made if it.status == ITEM.CREDITED]
        if credits:
            self._credit(credits)
        self._resolve_repeats(repeats, firsts)
        decided = [it for it in items if it.status]
        self._emit([it for it in decided if it.status in MADE])
        update_items(decided, self.now)
        return decided

    def _split_repeats(self, live: list[Item]) -> tuple[list[Item], list[Item]]:
        """An existing request_id makes a replay or a conflict; of several items with one new request_id
        the first is processed and the others follow its outcome (_resolve_repeats)."""
        firsts, repeats, seen = [], [], set()
        for it in live:
            rid = it.clean["request_id"]
            if rid in self.known:
                it.replay_or_conflict(*self.known[rid])
            elif rid in seen:
                repeats.append(it)
            else:
                seen.add(rid)
                firsts.append(it)
        return firsts, repeats

    def _check_business_rules(self, firsts: list[Item]) -> None:
        """points_request_submit's checks in its order, against two queries for the whole chunk."""
        programmes = {p.code: p for p in Programme.objects.filter(organisation_id=self.organisation_id)}
        wanted = {it.clean["employee_id"] for it in firsts}
        employees = {
            employee_id: (pk, status)
            for employee_id, pk, status in Employee.objects.filter(
                organisation_id=self.organisation_id, employee_id__in=wanted
            ).values_list("employee_id", "id", "status")
        }
        for it in firsts:
            code, employee_id, points = it.clean["programme"], it.clean["employee_id"], it.points
            programme, employee = programmes.get(code), employees.get(employee_id)
            outcome = request_outcome(
                code=code,
                programme=programme,
                employee_id=employee_id,
                employee_status=employee[1] if employee else None,
                points=points,
            )
            if isinstance(outcome, PointsError):
                it.reject(outcome.code, outcome.message, outcome.field)
            else:
                it.programme, it.employee, it.status = programme, employee[0], outcome

    def _insert_requests(self, made: list[Item]) -> None:
        """One INSERT for the chunk's new requests, before any wallet is locked (the lock order). Credited
        ones carry their transaction, lot and a balance read without a lock, corrected later if a
        concurrent credit made it wrong. A request_id committed meanwhile by another transaction turns
        its item into a replay or a conflict, as it would a single request."""
        credits = [it for it in made if it.status == ITEM.CREDITED]
        balances = ledger.wallet_balances(it.employee for it in credits)
        for it in made:
            it.request_uuid = uuid7()
        for it in credits:
            it.transaction_id, it.lot_id = uuid7(), uuid7()
            it.expires_at = self.now + timedelta(days=it.programme.points_validity_days)
            balances[it.employee] = balances.get(it.employee, 0) + it.points
            it.predicted = it.balance_after = balances[it.employee]
        taken = insert_requests(self.organisation_id, self.batch_uuid, made, self.now)
        if taken:
            self.known.update(existing_requests(self.organisation_id, taken))
            for it in made:
                if it.clean["request_id"] in taken:
                    it.replay_or_conflict(*self.known[it.clean["request_id"]])

    def _credit(self, credits: list[Item]) -> None:
        """The ledger rows of the chunk's credits; an item its budget cannot pay (in index order, while
        the budget lasts) is budget_exhausted, and its request, inserted above as credited, is deleted:
        a refused single request leaves no row either. The balances guessed at insert time are corrected."""
        unpaid = ledger.credit_many(self.organisation_id, credits, self.now, pay_what_lasts=True)
        for it in unpaid:
            refusal = ledger.budget_exhausted(it.programme, it.points)
            it.reject(refusal.code, refusal.message)
        if unpaid:
            fetchall(
                "DELETE FROM points_pointsrequest WHERE id = ANY(%s::uuid[]) RETURNING id",
                [array(it.request_uuid for it in unpaid)],
            )
        paid = [it for it in credits if it.status == ITEM.CREDITED]
        set_balance_after({it.request_uuid: it.balance_after for it in paid if it.balance_after != it.predicted})

    def _resolve_repeats(self, repeats: list[Item], firsts: list[Item]) -> None:
        """A repeat of a request made here replays it (or conflicts); a repeat of a refused one with the
        same body is refused alike; one with another body is left queued for a later chunk, and so is
        every later repeat of its request_id (index order decides, whatever the chunk size)."""
        by_rid, deferred = {it.clean["request_id"]: it for it in firsts}, set()
        for it in repeats:
            rid = it.clean["request_id"]
            first = by_rid[rid]
            if rid in deferred:
                continue
            if rid in self.known:
                it.replay_or_conflict(*self.known[rid])
            elif first.status in MADE:
                it.replay_or_conflict(first.request_uuid, first.fingerprint)
            elif it.fingerprint == first.fingerprint:
                it.status, it.error = first.status, first.error
            else:
                deferred.add(rid)

    def _emit(self, made: list[Item]) -> None:
        """The events a single request emits: points_request.credited or .pending_approval. Their JSON is
        written here and copied as text (psycopg adapting each payload was a sixth of a chunk's time)."""
        by_type: dict[str, list[tuple]] = {}
        for it in made:
            request = _RequestView(
                id=it.request_uuid,
                request_id=it.clean["request_id"],
                status=it.status,
                points=it.points,
                employee=_Named(employee_id=it.clean["employee_id"]),
                programme=it.programme,
                reason=it.clean["reason"],
                source=it.clean["source"],
                metadata=it.clean["metadata"],
                balance_after=it.balance_after,
                transaction_id=it.transaction_id,
                credited_at=self.now if it.status == ITEM.CREDITED else None,
                expires_at=it.expires_at,
                created_at=self.now,
            )
            payload = json.dumps(points_request_document(request))
            by_type.setdefault(f"points_request.{it.status}", []).append((str(it.request_uuid), payload))
        for event_type, events in by_type.items():
            outbox_copy_json(
                organisation_id=self.organisation_id,
                event_type=event_type,
                aggregate_type="points_request",
                events=events,
            )


class _Named(SimpleNamespace):
    pass


class _RequestView(SimpleNamespace):
    """What points_request_document reads of a request, without building 2,000 model instances a chunk
    (a third of a chunk's time went there)."""

    decided_at = reversed_at = None
    reversal_reason = ""


def _clean(items: list[Item]) -> list[Item]:
    """Each item checked as a single request's command, the whole chunk in one pass."""
    live = []
    checked = check_each(PointsRequestCommand, [it.data for it in items])
    for it, fields in zip(items, checked, strict=True):
        if isinstance(fields, ValidationFailed):
            first, message = fields.errors[0], fields.errors[0]["message"]
            if len(fields.errors) > 1:  # the item names one field; the message names them all
                message = "; ".join(f"{e['field'] or 'item'}: {e['message']}" for e in fields.errors)
            it.reject(first["code"], message, first["field"])
            continue
        it.clean = points_request_clean(fields)
        it.fingerprint = fingerprint(it.clean)
        live.append(it)
    return live
