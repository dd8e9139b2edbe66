"""One job runner for every chunked background job: points batches, voucher campaigns, HRMS runs (webhook
deliveries are rows with their own schedule, claimed with plum.core.claims). A kind supplies its model (a
subclass of models.Job), its items and how one chunk is processed (kinds.JobKind); the runner claims,
counts, completes once with an outbox event, records failures, sweeps and retries (runner, tasks), and
admin.JobProgressAdmin shows the progress to staff.

Import the abstract model from plum.core.jobs.models (models load after the app registry)."""

from plum.core.jobs.kinds import ItemQueue, JobKind, all_kinds, kind_named, register
from plum.core.jobs.runner import ChunkFailed, complete, run, stale_jobs
from plum.core.jobs.tasks import enqueue, retry, run_job, sweep, sweep_jobs

__all__ = [
    "ChunkFailed",
    "ItemQueue",
    "JobKind",
    "all_kinds",
    "complete",
    "enqueue",
    "kind_named",
    "register",
    "retry",
    "run",
    "run_job",
    "stale_jobs",
    "sweep",
    "sweep_jobs",
]
