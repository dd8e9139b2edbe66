"""Writing events to the outbox. Call inside the transaction of the change (the integrations app delivers)."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction

from plum.core.models import OutboxEvent


@dataclass(frozen=True)
class Event:
    event_type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict


def outbox_emit(*, organisation_id: UUID, event: Event) -> None:
    outbox_emit_many(organisation_id=organisation_id, events=[event])


def outbox_emit_many(*, organisation_id: UUID, events: Iterable[Event]) -> int:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Outbox events must be written inside the transaction of the change.")
    rows = [
        OutboxEvent(
            organisation_id=organisation_id,
            event_type=e.event_type,
            aggregate_type=e.aggregate_type,
            aggregate_id=e.aggregate_id,
            payload=e.payload,
        )
        for e in events
    ]
    OutboxEvent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
