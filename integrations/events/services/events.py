"""Events received: each rule in force that the event meets asks the points service for its reward, at once.

One transaction per event: the event row (its unique event_id decides between parallel posts of one
event, INSERT … ON CONFLICT DO NOTHING, so the losers wait and replay), then for each matching rule, in
name order, the limit's slot and the points request, in a savepoint when the rule has a limit: a
refusal (the points service's, or limit_reached) rolls it back, so the slot is not spent, and is
recorded as a refused reward. The points service itself leaves nothing behind when it refuses (its
general path runs in an atomic block, and its one statement writes nothing when it answers), so a rule
without a limit needs no savepoint of ours. The one statement is sent without a savepoint of its own
(savepoint=False): if it fails (no budget shard free at once) the event's transaction is aborted, rolled
back whole and run again with the points service's savepoints, the path that waits for a shard. The
rewards and the outbox's `event.received` (the event's document, built once) are written by one
statement. Rules are read as they stand when the event arrives; their window and limit period are taken
at the event's occurred_at (UTC).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from integrations.events import interpreter
from integrations.events.commands import EventCommand
from integrations.events.errors import EventsError, EventsErrorCode
from integrations.events.models import Event, Reward
from integrations.events.selectors import event_document, event_get
from integrations.trail import record_created
from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import DomainError
from points.commands import PointsRequestCommand
from points.services import points_request_submit
from users.models import Employee


@dataclass(frozen=True)
class Received:
    event: Event
    replayed: bool

    @property
    def http_status(self) -> int:
        return 200 if self.replayed else 201


class _StartAgain(Exception):
    """The points service's one statement failed without a savepoint: the event's transaction is aborted."""


@dataclass(frozen=True)
class RuleInForce:
    """A rule as the event path reads it: with its programme's code, the columns a reward needs."""

    id: str
    name: str
    conditions: list
    points: object
    programme: str
    reason: str
    limit_count: int | None
    limit_per: str


# In one round trip: the employee with the attributes conditions read, the rules in force for the event's
# type, and the event row. Its unique event_id decides between parallel posts of one event: the statement
# of the second waits for the first's transaction, then inserts nothing (a replay) or, if it rolled back,
# the event. No employee, no row: nothing inserted.
_RECEIVE = """
WITH employee AS (
    SELECT e.id, e.status, bu.code AS business_unit, cc.code AS cost_centre, e.country, e.department, e.role,
        e.hire_date
    FROM users_employee e
    LEFT JOIN users_businessunit bu ON bu.id = e.business_unit_id
    LEFT JOIN users_costcentre cc ON cc.id = e.cost_centre_id
    WHERE e.organisation_id = %(org)s AND e.employee_id = %(employee_id)s
), inserted AS (
    INSERT INTO integrations_events_event
        (id, organisation_id, event_id, type, employee_id, occurred_at, data, fingerprint, source, received_at)
    SELECT %(id)s, %(org)s, %(event_id)s, %(type)s, employee.id, %(occurred_at)s, %(data)s, %(fingerprint)s,
        %(source)s, %(now)s
    FROM employee
    ON CONFLICT (organisation_id, event_id) DO NOTHING
    RETURNING id
)
SELECT employee.id, employee.business_unit, employee.cost_centre, employee.country, employee.department,
    employee.role, employee.hire_date, EXISTS (SELECT FROM inserted), (
    SELECT coalesce(json_agg(json_build_object(
        'id', r.id, 'name', r.name, 'conditions', r.conditions, 'points', r.points, 'programme', p.code,
        'reason', r.reason, 'limit_count', r.limit_count, 'limit_per', r.limit_per) ORDER BY r.name), '[]'::json)
    FROM integrations_events_rule r JOIN points_programme p ON p.id = r.programme_id
    WHERE r.organisation_id = %(org)s AND r.event_type = %(type)s AND r.active
        AND (r.starts_at IS NULL OR r.starts_at <= %(occurred_at)s)
        AND (r.ends_at IS NULL OR r.ends_at > %(occurred_at)s)
)
FROM employee
"""
# The event's rewards (none, one or more, as JSON) and its event.received outbox row, in one round trip.
# The outbox row is what plum.core.outbox.outbox_emit writes; the payload is the document as JSON text.
_REWARDS_AND_OUTBOX = """
WITH rewarded AS (
    INSERT INTO integrations_events_reward
        (event_id, rule_id, request_id, points_request_id, status, points, balance_after, code)
    SELECT %(event)s, r.rule_id, r.request_id, r.points_request_id, r.status, r.points, r.balance_after, r.code
    FROM json_to_recordset(%(rewards)s::json) AS r(rule_id uuid, request_id text, points_request_id uuid,
        status text, points integer, balance_after bigint, code text)
)
INSERT INTO core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload, created_at)
VALUES (%(outbox_id)s, %(org)s, 'event.received', 'event', %(aggregate)s, %(payload)s::jsonb, %(now)s)
"""
_dumps = DjangoJSONEncoder(ensure_ascii=True).encode  # as outbox_emit's payloads
# One more reward in the period, unless the limit is reached: the row is locked by the statement, and a
# transaction waiting for it re-reads the count once the holder commits (or rolls its savepoint back).
_TAKE_SLOT = """
INSERT INTO integrations_events_ruleusage AS usage (rule_id, employee_id, period, count)
VALUES (%s, %s, %s, 1)
ON CONFLICT (rule_id, employee_id, period) DO UPDATE SET count = usage.count + 1 WHERE usage.count < %s
RETURNING count
"""
_GIVE_BACK_SLOT = """
UPDATE integrations_events_ruleusage SET count = count - 1 WHERE rule_id = %s AND employee_id = %s AND period = %s
RETURNING count
"""
_PERIODS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def event_receive(*, actor: Actor, command: EventCommand, source: str = "api") -> Received:
    """201 with the rewards of every matching rule; 200 the first answer for a repeated event_id and body;
    409 event_id_conflict for another body; 422 employee_not_found (nothing written)."""
    try:
        return _receive(actor, command, source, savepoint=False)
    except _StartAgain:  # rolled back whole: again, with the points service's savepoints
        return _receive(actor, command, source, savepoint=True)


def _receive(actor: Actor, command: EventCommand, source: str, *, savepoint: bool) -> Received:
    event = Event(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        event_id=command.event_id,
        type=command.type,
        occurred_at=command.occurred_at,
        data=command.data,
        fingerprint=command.fingerprint(),
        source=source,
        received_at=timezone.now(),
    )
    with transaction.atomic():
        row = _insert(event, command.employee_id)
        if row is None:
            raise EventsError(
                EventsErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {command.employee_id!r}.", field="employee_id"
            )
        if not row[7]:
            return _replay(actor, command, event.fingerprint)
        event.employee = Employee(id=row[0], organisation_id=actor.organisation_id, employee_id=command.employee_id)
        attributes = employee_attributes(row[1:7])
        earned = []
        for rule in (RuleInForce(**rule) for rule in (json.loads(row[8]) if isinstance(row[8], str) else row[8])):
            if not interpreter.matches_quickly(rule.conditions, command.data, attributes):
                continue
            points, _ = interpreter.compute_points(rule.points, command.data)
            if points is not None:
                earned.append((rule, points))
        # Every limit slot before any credit, in rule id order: an event locks slot rows and then the wallet,
        # always in that order, so two events of one employee cannot wait for each other in a circle.
        slots = {rule.id: _take_slot(rule, event) for rule, _ in sorted(earned, key=lambda e: e[0].id)}
        rewards = [
            _reward(actor, event, rule, points, slots.get(rule.id), savepoint=savepoint) for rule, points in earned
        ]
        event._prefetched_objects_cache = {"rewards": rewards}  # the document reads them without a query
        _save_rewards_and_emit(actor, event, rewards)
        record_created(actor, "event.received", event.event_id, received_values(event, command, rewards))
    return Received(event, replayed=False)


def received_values(event: Event, command: EventCommand, rewards: list[Reward]) -> dict:
    """The event as stored, and the rewards it gave: the one entry of the call, whose points requests
    (created by the points service, its own entry suppressed) are listed here by request_id."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "employee_id": command.employee_id,
        "occurred_at": event.occurred_at,
        "data": event.data,
        "source": event.source,
        "rewards": [
            {
                "rule": str(r.rule_id),
                "request_id": r.request_id,
                "points_request": None if r.points_request_id is None else str(r.points_request_id),
                "status": r.status,
                "points": r.points,
                "refusal": r.code or None,  # "code" is a word the trail never keeps
            }
            for r in rewards
        ],
    }


def employee_attributes(values) -> dict:
    """What `employee.<attribute>` conditions read: codes and text, the hire date as YYYY-MM-DD."""
    business_unit, cost_centre, country, department, role, hire_date = values
    return {
        "business_unit": business_unit,
        "cost_centre": cost_centre,
        "country": country or None,
        "department": department or None,
        "role": role or None,
        "hire_date": hire_date.isoformat() if hire_date else None,
    }


def prepared(sql: str, params) -> tuple | None:
    """The first row of a statement planned once per connection (server-side parameters), on Django's
    connection and in its transaction, with no savepoint: a failure here fails the whole event anyway.
    Django binds parameters on the client and so plans every statement again; this path's statements
    are planned once."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        return cursor.execute(sql, params, prepare=True).fetchone()


def _insert(event: Event, employee_id: str, statement: str = _RECEIVE) -> tuple | None:
    return prepared(
        statement,
        {
            "id": event.id,
            "org": event.organisation_id,
            "employee_id": employee_id,
            "event_id": event.event_id,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "data": Jsonb(event.data),
            "fingerprint": event.fingerprint,
            "source": event.source,
            "now": event.received_at,
        },
    )


def _save_rewards_and_emit(actor: Actor, event: Event, rewards: list[Reward]) -> None:
    """The rewards and the event.received outbox row in one statement; the document is built once."""
    document = event_document(event)
    event._document = document  # the answer's document: the same, not built again
    prepared(
        _REWARDS_AND_OUTBOX + "RETURNING 1",
        {
            "event": event.id,
            "rewards": json.dumps(
                [
                    {
                        "rule_id": str(r.rule_id),
                        "request_id": r.request_id,
                        "points_request_id": None if r.points_request_id is None else str(r.points_request_id),
                        "status": r.status,
                        "points": r.points,
                        "balance_after": r.balance_after,
                        "code": r.code,
                    }
                    for r in rewards
                ]
            ),
            "outbox_id": uuid.uuid4(),
            "org": actor.organisation_id,
            "aggregate": str(event.id),
            "payload": _dumps(document),
            "now": timezone.now(),
        },
    )


def _replay(actor: Actor, command: EventCommand, fingerprint: str) -> Received:
    """The event another post of this event_id recorded (it committed: the insert waited for it)."""
    event = event_get(actor=actor, event_id=command.event_id)
    if event.fingerprint != fingerprint:
        raise EventsError(
            EventsErrorCode.EVENT_ID_CONFLICT,
            f"event_id {command.event_id!r} was already used with another body.",
            field="event_id",
        )
    return Received(event, replayed=True)


def limit_period(per: str, moment: datetime) -> str:
    """The period a limit counts in: the calendar day, month or year of the event (UTC), or ever."""
    pattern = _PERIODS.get(per)
    return moment.astimezone(UTC).strftime(pattern) if pattern else "ever"


def take_limit_slot(rule: RuleInForce, employee_pk, period: str) -> bool:
    """Whether the rule may reward the employee once more in the period; counts it if so."""
    return prepared(_TAKE_SLOT, [rule.id, employee_pk, period, rule.limit_count]) is not None


def _take_slot(rule: RuleInForce, event: Event) -> str | None:
    """The period of the limit slot taken for this event (locked until commit), "" when the limit is
    reached; None for a rule without a limit."""
    if rule.limit_count is None:
        return None
    period = limit_period(rule.limit_per, event.occurred_at)
    return period if take_limit_slot(rule, event.employee.pk, period) else ""


def _reward(actor: Actor, event: Event, rule: RuleInForce, points: int, slot: str | None, *, savepoint: bool) -> Reward:
    """The rule's points request, or its refusal; a refused rule gives its limit slot back (its row is
    locked by this transaction, so the count stays exact). The points service leaves nothing behind when
    it refuses; savepoint=False sends its one statement without a savepoint of its own (None if that
    fails: event_receive starts again, whole)."""
    reward = Reward(event=event, rule_id=rule.id, request_id=f"evt:{event.event_id}:{rule.id}", points=points)
    try:
        if slot == "":
            raise EventsError(EventsErrorCode.LIMIT_REACHED, f"Rule {rule.name!r} reached its limit.")
        command = PointsRequestCommand.parse(
            {
                "request_id": reward.request_id,
                "employee_id": event.employee.employee_id,
                "programme": rule.programme,
                "points": points,
                "reason": rule.reason or None,
                "source": f"rule:{rule.name}",
            }
        )
        with audit.suppressed():  # the event's entry lists this reward: one call, one entry
            submitted = points_request_submit(actor=actor, command=command, savepoint=savepoint)
        if submitted is None:
            raise _StartAgain
    except DomainError as refusal:
        if slot:
            prepared(_GIVE_BACK_SLOT, [rule.id, event.employee.pk, slot])
        reward.status, reward.code = Reward.Status.REFUSED, str(refusal.code)
        return reward
    request = submitted.request
    reward.points_request_id, reward.status, reward.balance_after = (
        request.id,
        str(request.status),
        request.balance_after,
    )
    return reward
