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
