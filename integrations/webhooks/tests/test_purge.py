"""The outbox purge deletes relayed rows older than the retention, in batches, and never an unrelayed one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.webhooks.services.relay import outbox_purge
from integrations.webhooks.tasks import purge_outbox_task
from integrations.webhooks.tests.test_deliveries_support import emit
from plum.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def aged(event_ids, *, days: float, published: bool) -> None:
    moment = timezone.now() - timedelta(days=days)
    OutboxEvent.objects.filter(event_id__in=event_ids).update(
        created_at=moment, published_at=moment if published else None
    )


def test_only_relayed_rows_older_than_the_retention_go(tenant, settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    emit(tenant.organisation.id, count=12)
    ids = list(OutboxEvent.objects.order_by("id").values_list("event_id", flat=True))
    old_relayed, old_unrelayed, young_relayed, young_unrelayed = ids[:5], ids[5:8], ids[8:10], ids[10:]
    aged(old_relayed, days=7.01, published=True)
    aged(old_unrelayed, days=30, published=False)
    aged(young_relayed, days=6.99, published=True)
    aged(young_unrelayed, days=1, published=False)

    assert outbox_purge(batch_size=2) == 5  # three batches, the last one short
    left = set(OutboxEvent.objects.values_list("event_id", flat=True))
    assert left == set(old_unrelayed + young_relayed + young_unrelayed)
    assert purge_outbox_task() == 0  # the task reads the setting; nothing more is old enough
    assert set(OutboxEvent.objects.values_list("event_id", flat=True)) == left
