"""The relay's share for Slack and Teams: one notification per (active channel whose events include the type,
event), written in the relay's transaction (the one that marks the outbox rows relayed), due at once.

The unique (channel, event_id) with ON CONFLICT DO NOTHING settles two relays that see one event: one row.
"""

from django.db import connection

INSERT_SQL = """
INSERT INTO integrations_chat_notification (id, organisation_id, channel_id, event_id, event_type, data, state,
    attempts, last_error, next_attempt_at, message_ref, created_at)
SELECT gen_random_uuid(), e.organisation_id, c.id, e.event_id, e.event_type, e.payload::jsonb, 'pending', 0, '',
       %(now)s, '{}'::jsonb, %(now)s
FROM unnest(%(outbox_ids)s::bigint[], %(event_ids)s::uuid[], %(organisations)s::uuid[], %(types)s::text[],
            %(payloads)s::text[]) AS e(outbox_id, event_id, organisation_id, event_type, payload)
JOIN integrations_chat_channel AS c
    ON c.organisation_id = e.organisation_id AND c.active AND e.event_type = ANY(c.events)
ORDER BY e.outbox_id, c.id
ON CONFLICT (channel_id, event_id) DO NOTHING
"""


def notifications_fan_out(rows: list[tuple], now, *, wanted: dict) -> int:
    """`rows`: the relay's claimed outbox rows (outbox id, event id, organisation id, type, created_at, payload
    JSON text); `wanted`: {organisation id: the types its active channels announce}. Answers how many
    notifications were created."""
    matching = [row for row in rows if row[3] in wanted.get(row[2], ())]
    if not matching:
        return 0
    params = {
        "now": now,
        "outbox_ids": [row[0] for row in matching],
        "event_ids": [row[1] for row in matching],
        "organisations": [row[2] for row in matching],
        "types": [row[3] for row in matching],
        "payloads": [row[5] for row in matching],
    }
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, params)
        return cursor.rowcount
