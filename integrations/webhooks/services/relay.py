"""The outbox relay: unrelayed outbox rows, in id order and in chunks, become one delivery per matching active
subscription, and one Slack or Teams notification per matching active chat channel (integrations.chat), in the
transaction that marks them relayed (published_at). And the purge of old relayed rows.

A chunk is claimed with FOR UPDATE SKIP LOCKED (plum.core.claims), so relays running side by side (beat
every second, a slow chunk) take disjoint rows; the unique (subscription, event_id) with ON CONFLICT DO
NOTHING settles anything else. The body is serialised once per event, from the payload's JSON text.
"""

import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from integrations.chat.models import Channel
from integrations.chat.services.fanout import notifications_fan_out
from integrations.webhooks.models import Subscription
from plum.core.claims import claim_rows
from plum.core.timefmt import iso

# The tables by name (a test checks them against the models): core_outboxevent, integrations_webhooks_*.

# The UPDATE marks the claimed rows relayed and answers what a body needs (the payload as JSON text).
CLAIM_SQL = """
WITH claimed AS MATERIALIZED (
    SELECT id FROM core_outboxevent WHERE published_at IS NULL ORDER BY id LIMIT %(size)s FOR UPDATE SKIP LOCKED
)
UPDATE core_outboxevent AS o SET published_at = %(now)s FROM claimed WHERE o.id = claimed.id
RETURNING o.id, o.event_id, o.organisation_id, o.event_type, o.created_at, o.payload::text
"""

INSERT_SQL = """
INSERT INTO integrations_webhooks_delivery (id, organisation_id, subscription_id, event_id, event_type, body,
    state, attempts, last_error, next_attempt_at, created_at)
SELECT gen_random_uuid(), e.organisation_id, s.id, e.event_id, e.event_type, e.body, 'pending', 0, '',
       %(now)s, %(now)s
FROM unnest(%(outbox_ids)s::bigint[], %(event_ids)s::uuid[], %(organisations)s::uuid[], %(types)s::text[],
            %(bodies)s::text[]) AS e(outbox_id, event_id, organisation_id, event_type, body)
JOIN integrations_webhooks_subscription AS s
    ON s.organisation_id = e.organisation_id AND s.active AND e.event_type = ANY(s.events)
ORDER BY e.outbox_id, s.id
ON CONFLICT (subscription_id, event_id) DO NOTHING
"""


@dataclass
class Relayed:
    events: int = 0  # outbox rows marked relayed
    deliveries: int = 0  # deliveries created
    notifications: int = 0  # chat notifications created


def delivery_body(*, event_id, event_type: str, created_at, organisation_id, payload_json: str) -> str:
    """API.md's body: {"id", "type", "created_at", "organisation", "data"}; `data` is the payload's JSON as stored."""
    return (
        f'{{"id": "{event_id}", "type": {json.dumps(event_type)}, "created_at": "{iso(created_at)}", '
        f'"organisation": "{organisation_id}", "data": {payload_json}}}'
    )


def outbox_relay_chunk(*, size: int = 2000) -> Relayed:
    """One transaction: claim up to `size` unrelayed rows, create their deliveries, mark them relayed."""
    with transaction.atomic():
        now = timezone.now()
        rows = claim_rows(CLAIM_SQL, {"size": size, "now": now}, at_most=size)
        if not rows:
            return Relayed()
        rows.sort()  # RETURNING does not promise the claim's order
        organisations = {row[2] for row in rows}
        wanted = _subscribed_types(organisations)
        matching = [row for row in rows if row[3] in wanted.get(row[2], ())]
        created = 0
        if matching:
            params = {
                "now": now,
                "outbox_ids": [row[0] for row in matching],
                "event_ids": [row[1] for row in matching],
                "organisations": [row[2] for row in matching],
                "types": [row[3] for row in matching],
                "bodies": [
                    delivery_body(
                        event_id=event_id, event_type=kind, created_at=at, organisation_id=org, payload_json=payload
                    )
                    for _, event_id, org, kind, at, payload in matching
                ],
            }
            with connection.cursor() as cursor:
                cursor.execute(INSERT_SQL, params)
                created = cursor.rowcount
        notified = notifications_fan_out(rows, now, wanted=_announced_types(Channel, organisations))
        return Relayed(events=len(rows), deliveries=created, notifications=notified)


def outbox_relay(*, chunk_size: int = 2000, max_seconds: float = 10.0) -> Relayed:
    """Chunks in id order until the outbox is relayed or `max_seconds` pass (the next beat goes on)."""
    total, deadline = Relayed(), time.monotonic() + max_seconds
    while True:
        chunk = outbox_relay_chunk(size=chunk_size)
        total.events += chunk.events
        total.deliveries += chunk.deliveries
        total.notifications += chunk.notifications
        if chunk.events < chunk_size or time.monotonic() >= deadline:
            return total


def _subscribed_types(organisation_ids: set) -> dict:
    """{organisation id: the event types its active subscriptions want}, one query per chunk."""
    return _announced_types(Subscription, organisation_ids)


def _announced_types(model, organisation_ids: set) -> dict:
    """{organisation id: the event types its active subscriptions (or chat channels) want}, one query per chunk."""
    wanted: dict = {}
    receivers = model.objects.filter(organisation_id__in=organisation_ids, active=True)
    for organisation_id, events in receivers.values_list("organisation_id", "events"):
        wanted.setdefault(organisation_id, set()).update(events)
    return wanted


PURGE_SQL = """
WITH old AS MATERIALIZED (
    SELECT id FROM core_outboxevent WHERE published_at IS NOT NULL AND created_at < %(before)s
    ORDER BY id LIMIT %(size)s FOR UPDATE SKIP LOCKED
)
DELETE FROM core_outboxevent AS o USING old WHERE o.id = old.id RETURNING o.id
"""


def outbox_purge(*, retention_days: int | None = None, batch_size: int = 5000) -> int:
    """Delete relayed outbox rows older than the retention (settings.OUTBOX_RETENTION_DAYS), a batch per
    transaction; an unrelayed row is never deleted. Deliveries keep their own copy of the body."""
    days = settings.OUTBOX_RETENTION_DAYS if retention_days is None else retention_days
    before, deleted = timezone.now() - timedelta(days=days), 0
    while True:
        with transaction.atomic():
            batch = len(claim_rows(PURGE_SQL, {"before": before, "size": batch_size}, at_most=batch_size))
        deleted += batch
        if batch < batch_size:
            return deleted
