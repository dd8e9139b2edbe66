"""Removing what is past the retention, and erasure's replacement of personal values: both only through the
database functions the append-only trigger permits (plum.core migration 0004)."""

import datetime
import json

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

# Old entries go a day's range per transaction, oldest first, so one purge never holds a huge delete.
PURGE_STEP = datetime.timedelta(days=1)


def purge_expired(*, retention_days: int | None = None, now: datetime.datetime | None = None) -> int:
    """Delete entries older than the retention (settings.AUDIT_RETENTION_DAYS); answers how many went."""
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    removed = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT min(at) FROM core_auditentry WHERE at < %s", [cutoff])
            oldest = cursor.fetchone()[0]
        if oldest is None:
            return removed
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT plum_audit_purge(%s)", [min(oldest + PURGE_STEP, cutoff)])
            removed += cursor.fetchone()[0]


def erase_values(*, organisation_id, replacements: dict[str, str]) -> int:
    """Replace every string value equal to a key of `replacements` in the organisation's entries' `changes`
    (at any depth) with its value; answers how many entries changed. Call inside erasure's transaction."""
    if not replacements:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT plum_audit_erase(%s, %s::jsonb)", [organisation_id, json.dumps(replacements)])
        return cursor.fetchone()[0]
