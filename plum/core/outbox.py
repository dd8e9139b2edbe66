"""Writing events to the outbox. Call inside the transaction of the change (the integrations app delivers)."""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

# COPY, not bulk_create: a sync emits thousands of events and Django's per-row JSON escaping
# was more than half of its time.
_COPY_SQL = (
    "COPY core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload, created_at)"
    " FROM STDIN"
)
_dumps = partial(json.dumps, cls=DjangoJSONEncoder)  # payloads may hold dates, decimals, UUIDs


@dataclass(frozen=True)
class Event:
    event_type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict


_INSERT_SQL = (
    "INSERT INTO core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def outbox_emit(*, organisation_id: UUID, event: Event) -> None:
    """One event: a plain INSERT, one round trip (COPY needs two)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Outbox events must be written inside the transaction of the change.")
    identity = (uuid.uuid4(), organisation_id, event.event_type, event.aggregate_type, event.aggregate_id)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [*identity, Jsonb(event.payload, dumps=_dumps), timezone.now()])


def outbox_copy_json(*, organisation_id: UUID, event_type: str, aggregate_type: str, events: list[tuple]) -> None:
    """Many events of one type whose payloads are already JSON text: [(aggregate id, payload JSON)].
    For campaigns (tens of thousands): psycopg's per-row adaptation cost more than the rest of a chunk."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Outbox events must be written inside the transaction of the change.")
    head = f"{organisation_id}\t{event_type}\t{aggregate_type}"
    created = timezone.now().isoformat()
    # JSON text holds no raw tab or line break, so a backslash is all COPY's text format needs escaped
    data = "".join(
        [
            f"{uuid.uuid4().hex}\t{head}\t{aggregate_id}\t{payload.replace(chr(92), chr(92) * 2)}\t{created}\n"
            for aggregate_id, payload in events
        ]
    )
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY_SQL) as copy:
        copy.write(data)


def outbox_emit_many(*, organisation_id: UUID, events: Iterable[Event]) -> int:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Outbox events must be written inside the transaction of the change.")
    now, count = timezone.now(), 0
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY_SQL) as copy:
        for event in events:
            identity = (uuid.uuid4(), organisation_id, event.event_type, event.aggregate_type, event.aggregate_id)
            copy.write_row((*identity, Jsonb(event.payload, dumps=_dumps), now))
            count += 1
    return count
