"""A single points request credited in one statement: the common case on the hottest path.

The function points_request_credit (points/ledger/sql/points_request_credit.sql) writes what the general
path of points_request_submit writes through points.ledger.credit_many, for a new request that the
acceptance rule credits at once and a budget shard that can pay it alone, in one round trip that commits
on its own (two when every such shard is busy: the second waits for one). For anything else it changes
nothing and the caller takes the general path. The event's payload and the audit entry's changes are built
here, so the document has one author (its balance_after is added by the function)."""

import logging
from contextlib import contextmanager
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from psycopg.types.json import Jsonb

from plum.core import audit
from plum.core.actor import Actor
from plum.core.db import prepared_cursor
from plum.core.ids import uuid7
from points.models import PointsRequest, Programme
from points.selectors import points_request_document
from users.models import Employee

logger = logging.getLogger(__name__)
_CALL = "SELECT * FROM points_request_credit(" + ", ".join(["%s"] * 20) + ")"  # noqa: S608 (placeholders only)
NO_SHARD_PAYS_ALONE = "PL001"  # none can, or the one waited for was drained meanwhile
EVERY_SHARD_BUSY = "PL002"  # every one that can pay is held by another transaction
MAX_REQUEST_POINTS = 2**31 - 1

# (organisation id, programme code) -> points_validity_days as last seen: the function refuses a stale
# value, so this only saves a round trip. A dict of small ints per programme, reset if it ever grows.
_validity_days: dict[tuple, int] = {}


class CreditStatementFailed(Exception):
    """The one statement, sent without a savepoint in the caller's transaction (savepoint=False), found no
    shard to take at once: it rolled back and the caller's transaction is aborted (points_request_submit
    answers None). Roll that back and submit again with a savepoint, which waits for a shard or takes
    the general path."""


def credit_in_one_statement(
    actor: Actor, clean: dict, *, fingerprint: str, now, savepoint: bool = True
) -> PointsRequest | None:
    """The credited request, or None when the general path must decide (and nothing was written).
    Setting POINTS_ONE_STATEMENT_CREDIT = False sends every request to the general path.
    savepoint=False, in a transaction: the statement runs without a savepoint of its own (two round trips
    fewer); an answer leaves nothing written, as ever, and a failure raises CreditStatementFailed."""
    if not settings.POINTS_ONE_STATEMENT_CREDIT:
        return None
    if not 1 <= clean["points"] <= MAX_REQUEST_POINTS:  # the column's range; the general path refuses it
        return None
    key = (actor.organisation_id, clean["programme"])
    for _ in range(2):
        validity = _validity_days.get(key)
        request = _credited_request(actor, clean, fingerprint, now, validity)
        row = _call(actor, request, clean, validity, savepoint=savepoint or not connection.in_atomic_block)
        if row is None or row[0] == "general":
            return None
        outcome, employee_pk, programme_pk, balance, validity = row
        if outcome == "validity":
            if len(_validity_days) > 10_000:
                _validity_days.clear()
            _validity_days[key] = validity
            continue
        request.employee.id, request.programme.id = employee_pk, programme_pk
        request.employee, request.programme = request.employee, request.programme  # the ids, keeping the cache
        request.balance_after = balance
        return request
    return None


def _credited_request(actor: Actor, clean: dict, fingerprint: str, now, validity: int | None) -> PointsRequest:
    return PointsRequest(
        organisation_id=actor.organisation_id,
        request_id=clean["request_id"],
        fingerprint=fingerprint,
        employee=Employee(
            organisation_id=actor.organisation_id, employee_id=clean["employee_id"], status=Employee.Status.ACTIVE
        ),
        programme=Programme(organisation_id=actor.organisation_id, code=clean["programme"]),
        points=clean["points"],
        reason=clean["reason"],
        source=clean["source"],
        metadata=clean["metadata"],
        status=PointsRequest.Status.CREDITED,
        transaction_id=uuid7(),
        lot_id=uuid7(),
        credited_at=now,
        expires_at=None if validity is None else now + timedelta(days=validity),
        created_at=now,
        updated_at=now,
    )


def _call(actor: Actor, request: PointsRequest, clean: dict, validity: int | None, *, savepoint: bool) -> tuple | None:
    document = points_request_document(request)
    entry = audit.sql_entry(actor=actor, changes=audit.created(document))  # the function adds balance_after
    params = [
        request.organisation_id,
        request.id,
        request.request_id,
        request.fingerprint,
        clean["employee_id"],
        clean["programme"],
        request.points,
        request.reason,
        request.source,
        Jsonb(request.metadata),
        request.created_at,
        validity,
        request.expires_at,
        request.transaction_id,
        request.lot_id,
        [uuid7(), uuid7()],
        uuid7(),
        Jsonb(document),
        None if entry is None else Jsonb(entry),
    ]
    row = _send(params, wait=False, savepoint=savepoint)
    # Every shard that could pay was busy: that statement rolled back whole, stray shard locks with it,
    # and a second one waits for a shard (the function's file says why the wait needs a statement of its own).
    return _send(params, wait=True, savepoint=True) if row == EVERY_SHARD_BUSY else row


def _send(params: list, *, wait: bool, savepoint: bool) -> tuple | str | None:
    """The statement's row; None when no shard can pay alone; EVERY_SHARD_BUSY only when not waiting."""
    logger.debug("credit statement for %s sent (waiting for a busy shard: %s)", params[2], wait)
    try:
        with prepared_cursor() if savepoint else _cursor_in_callers_transaction() as cursor:
            return cursor.execute(_CALL, [*params, wait], prepare=True).fetchone()
    except DatabaseError as error:
        sqlstate = getattr(error.__cause__, "sqlstate", None)
        if not savepoint and sqlstate in (NO_SHARD_PAYS_ALONE, EVERY_SHARD_BUSY):
            raise CreditStatementFailed(sqlstate) from error
        if sqlstate == NO_SHARD_PAYS_ALONE:
            return None
        if sqlstate == EVERY_SHARD_BUSY and not wait:
            return EVERY_SHARD_BUSY
        raise


@contextmanager
def _cursor_in_callers_transaction():
    """prepared_cursor without its savepoint: a failed statement aborts the caller's transaction."""
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
