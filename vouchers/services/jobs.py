"""Running campaigns: Celery processes chunks; a sweeper re-sends campaigns whose message was lost."""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.jobs import record_chunk_failure, send_on_commit, stale_jobs
from plum.core.outbox import Event, outbox_emit
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Campaign
from vouchers.selectors import campaign_document
from vouchers.services.chunk import process_chunk

PROCESS_TASK = "vouchers.tasks.campaign_process_task"
CHUNK_SIZE = 1_000
MAX_FAILURES = 5
STALE_AFTER = timedelta(minutes=2)
C = Campaign.Status
UNFINISHED = (C.QUEUED, C.PROCESSING)


def enqueue_on_commit(campaign_uuid, *, copies: int = 1) -> None:
    send_on_commit(PROCESS_TASK, campaign_uuid, copies=copies)


def campaign_process(campaign_uuid, *, chunk_size: int = CHUNK_SIZE, max_seconds: float | None = None) -> bool:
    """Issue chunks until none is left or `max_seconds` have passed (then answers True: more to do).
    Raises ChunkFailed when a chunk rolled back (the task retries)."""
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    campaign = Campaign.objects.select_related("product__brand", "programme").filter(pk=campaign_uuid).first()
    if campaign is None or campaign.status not in UNFINISHED:
        return False
    Campaign.objects.filter(pk=campaign_uuid, status=C.QUEUED).update(
        status=C.PROCESSING, started_at=timezone.now(), progress_at=timezone.now()
    )
    while True:
        try:
            with transaction.atomic():
                status = _chunk(campaign, chunk_size)
        except Exception as exc:  # the chunk rolled back whole: record it for staff, the task retries
            raise record_chunk_failure("vouchers_campaign", campaign_uuid, exc, max_failures=MAX_FAILURES) from exc
        if status is None:
            _complete(campaign_uuid)  # unless another worker still holds the last chunk: it completes
            return False
        if status not in UNFINISHED:
            return False
        if deadline is not None and time.monotonic() > deadline:
            return True


def _chunk(campaign: Campaign, chunk_size: int) -> str | None:
    now = timezone.now()
    outcomes = process_chunk(campaign, chunk_size, now)
    if outcomes is None:
        return None
    issued = outcomes["issued"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vouchers_campaign SET processed = processed + %s, issued = issued + %s,"
            " out_of_stock = out_of_stock + %s, employee_inactive = employee_inactive + %s,"
            " budget_exhausted = budget_exhausted + %s, points_drawn = points_drawn + %s, failures = 0,"
            " progress_at = %s WHERE id = %s RETURNING status",
            [
                outcomes.total(),
                issued,
                outcomes["out_of_stock"],
                outcomes["employee_inactive"],
                outcomes["budget_exhausted"],
                issued * campaign.product.points_for(campaign.denomination),
                now,
                campaign.pk,
            ],
        )
        return cursor.fetchone()[0]


def _complete(campaign_uuid) -> None:
    """Mark the campaign completed once no recipient is queued; only the call that flips it emits."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vouchers_campaign SET status = 'completed', completed_at = now(), progress_at = now()"
            " WHERE id = %s AND status IN ('queued', 'processing') AND NOT EXISTS"
            " (SELECT 1 FROM vouchers_campaignrecipient WHERE campaign_id = %s AND status = 'queued') RETURNING id",
            [campaign_uuid, campaign_uuid],
        )
        if cursor.fetchone():
            campaign = Campaign.objects.select_related("programme").get(pk=campaign_uuid)
            outbox_emit(
                organisation_id=campaign.organisation_id,
                event=Event("campaign.completed", "campaign", str(campaign.pk), campaign_document(campaign)),
            )


def campaigns_sweep(*, stale_after: timedelta = STALE_AFTER, now=None) -> list:
    """Re-send unfinished campaigns without progress for `stale_after` (their message may be lost)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = stale_jobs("vouchers_campaign", stale_after=stale_after, now=now)
        for campaign_uuid in ids:
            enqueue_on_commit(campaign_uuid)
    return ids


def campaign_retry(*, actor: Actor, campaign_uuid) -> Campaign:
    """Staff: put a failed campaign back in the queue; recipients already done stay done."""
    with transaction.atomic():
        if Campaign.objects.filter(pk=campaign_uuid, organisation_id=actor.organisation_id, status=C.FAILED).update(
            status=C.PROCESSING, failures=0, progress_at=timezone.now()
        ):
            enqueue_on_commit(campaign_uuid)
    campaign = Campaign.objects.filter(pk=campaign_uuid, organisation_id=actor.organisation_id).first()
    if campaign is None:
        raise VoucherError(VoucherErrorCode.CAMPAIGN_NOT_FOUND, "No such campaign in this organisation.")
    return campaign
