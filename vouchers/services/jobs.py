"""Running campaigns through the job runner: each chunk issues vouchers through chunk.process_chunk."""

from datetime import timedelta

from django.db import transaction

from plum.core import jobs
from plum.core.actor import Actor
from plum.core.outbox import Event
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Campaign, CampaignRecipient
from vouchers.selectors import campaign_document
from vouchers.services.chunk import process_chunk
from vouchers.services.trail import record

CHUNK_SIZE = 1_000
PARALLEL_TASKS = 2  # messages per new campaign: workers share its chunks through SKIP LOCKED
MAX_FAILURES = 5
STALE_AFTER = timedelta(minutes=2)
OUTCOMES = ("issued", "out_of_stock", "employee_inactive", "budget_exhausted")


class CampaignJobs(jobs.JobKind):
    name = "vouchers.campaign"
    model = Campaign
    # chunk.process_chunk claims its recipients itself (a stock campaign locks first); the queue here is
    # what completion waits for
    items = jobs.ItemQueue(CampaignRecipient, job_field="campaign", columns=("id",))
    chunk_size, parallel_messages, max_failures, stale_after = CHUNK_SIZE, PARALLEL_TASKS, MAX_FAILURES, STALE_AFTER
    # the completion's one audit entry (campaign.completed) holds these, never a line per recipient
    counted_fields = ("total", "processed", *OUTCOMES, "points_drawn")

    def load(self, job_id):
        return Campaign.objects.select_related("product__brand", "programme").filter(pk=job_id).first()

    def run_chunk(self, job: Campaign, chunk_size: int, now) -> dict[str, int] | None:
        outcomes = process_chunk(job, chunk_size, now)
        if outcomes is None:
            return None
        drawn = outcomes["issued"] * job.product.points_for(job.denomination)
        return {"processed": outcomes.total(), **{o: outcomes[o] for o in OUTCOMES}, "points_drawn": drawn}

    def completed_event(self, job: Campaign) -> Event:
        return Event("campaign.completed", "campaign", str(job.pk), campaign_document(job))


CAMPAIGN_JOBS = jobs.register(CampaignJobs)


def enqueue_on_commit(campaign_uuid, *, copies: int = 1) -> None:
    jobs.enqueue(CAMPAIGN_JOBS, campaign_uuid, copies=copies)


def campaign_process(campaign_uuid, *, chunk_size: int = CHUNK_SIZE, max_seconds: float | None = None) -> bool:
    """Issue chunks until none is left or `max_seconds` have passed (then answers True: more to do).
    Raises ChunkFailed when a chunk rolled back (the task retries)."""
    return jobs.run(CAMPAIGN_JOBS, campaign_uuid, chunk_size=chunk_size, max_seconds=max_seconds)


def campaigns_sweep(*, stale_after: timedelta = STALE_AFTER, now=None) -> list:
    """Re-send unfinished campaigns without progress for `stale_after` (their message may be lost)."""
    return jobs.sweep(CAMPAIGN_JOBS, stale_after=stale_after, now=now)


def campaign_retry(*, actor: Actor, campaign_uuid) -> Campaign:
    """Staff: put a failed campaign back in the queue; recipients already done stay done. A campaign that
    is not failed stays as it is."""
    with transaction.atomic():
        if jobs.retry(CAMPAIGN_JOBS, campaign_uuid, organisation_id=actor.organisation_id):
            changes = {"status": [Campaign.Status.FAILED.value, Campaign.Status.PROCESSING.value]}
            record(actor, "campaign.retried", campaign_uuid, changes)
        campaign = Campaign.objects.filter(pk=campaign_uuid, organisation_id=actor.organisation_id).first()
    if campaign is None:
        raise VoucherError(VoucherErrorCode.CAMPAIGN_NOT_FOUND, "No such campaign in this organisation.")
    return campaign
