"""What a kind of job tells the runner: its model, its items, how one chunk is processed, its event.

class PointsBatchJobs(JobKind):
    name = "points.batch"                 # the messages name it; never rename a kind in use
    model = PointsBatch                   # a subclass of plum.core.jobs.Job
    items = ItemQueue(PointsBatchItem, job_field="batch", columns=("id", "index", "data"))
    chunk_size, parallel_messages = 5_000, 2

    def process_chunk(self, job, claimed, now) -> dict[str, int]:
        ...  # write the claimed items' outcomes; answer the counters to add, "processed" included

    def completed_event(self, job) -> Event:
        return Event("points_batch.completed", "points_batch", str(job.pk), batch_document(job))

BATCH_JOBS = register(PointsBatchJobs)    # services: jobs.enqueue(BATCH_JOBS, pk), jobs.run, jobs.retry
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from django.db import connection, models
from django.utils.module_loading import autodiscover_modules

from plum.core.claims import claim_rows

SKIP_LOCKED = "FOR UPDATE SKIP LOCKED"


@dataclass(frozen=True)
class ItemQueue:
    """A kind's items: rows with a status, `queued` until a chunk records their outcome in its transaction.
    Table and column names come from the model."""

    model: type[models.Model]
    job_field: str
    columns: tuple[str, ...]
    order_field: str = "index"
    status_field: str = "status"
    queued: str = "queued"
    locking: str = SKIP_LOCKED  # each worker takes items no other transaction holds

    def _column(self, field: str) -> str:
        return connection.ops.quote_name(self.model._meta.get_field(field).column)

    @property
    def _queued_of_job(self) -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        job, status = self._column(self.job_field), self._column(self.status_field)
        return f"FROM {table} WHERE {job} = %s AND {status} = '{self.queued}'"  # queued: a constant of the code

    @property
    def claim_sql(self) -> str:
        """Takes (job id, chunk size): up to that many queued items in order, locked until the transaction ends."""
        columns = ", ".join(self._column(c) for c in self.columns)
        order = self._column(self.order_field)
        return f"SELECT {columns} {self._queued_of_job} ORDER BY {order} LIMIT %s {self.locking}"

    def claim(self, job_id, chunk_size: int) -> list[tuple]:
        return claim_rows(self.claim_sql, [job_id, chunk_size], at_most=chunk_size)

    def none_queued(self, job_id) -> tuple[str, list]:
        """A condition and its parameters, true when no item of the job is queued."""
        return f"NOT EXISTS (SELECT 1 {self._queued_of_job})", [job_id]


class JobKind:
    """One kind of job. Subclass, set the class attributes, implement process_chunk (or run_chunk, for a
    kind that claims its own items or has none, such as an HRMS run fetching pages) and completed_event,
    then `KIND = register(TheKind)` where the app's services are (the runner finds kinds there)."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    items: ClassVar[ItemQueue | None] = None  # None: run_chunk answers None when the job has nothing left
    chunk_size: ClassVar[int] = 1_000
    parallel_messages: ClassVar[int] = 1  # messages per new job; workers share its chunks through SKIP LOCKED
    max_failures: ClassVar[int] = 5  # chunk failures in a row before the job is failed, for staff to retry
    stale_after: ClassVar[timedelta] = timedelta(minutes=2)  # no progress for this long: the sweeper re-sends
    max_seconds: ClassVar[float] = 60.0  # a task gives its worker back after this and sends its continuation
    # The job's counters its completion's audit entry holds (one entry per job, never one per item).
    counted_fields: ClassVar[tuple[str, ...]] = ("total", "processed")

    def load(self, job_id):
        """The job as process_chunk needs it (override to select related rows), or None."""
        return self.model.objects.filter(pk=job_id).first()

    def run_chunk(self, job, chunk_size: int, now: datetime) -> Mapping[str, int] | None:
        """One chunk in the caller's transaction: the counters to add, or None when nothing was claimed."""
        claimed = self.items.claim(job.pk, chunk_size)
        return self.process_chunk(job, claimed, now) if claimed else None

    def process_chunk(self, job, claimed: list[tuple], now: datetime) -> Mapping[str, int]:
        raise NotImplementedError

    def completed_event(self, job):
        """The outbox Event written with the flip to completed, or None. With it, the runner writes the
        completion's audit entry: the event's name and aggregate, and the job's `counted_fields`."""
        raise NotImplementedError

    def completed_counts(self, job) -> dict[str, int]:
        return {name: getattr(job, name) for name in self.counted_fields}


_KINDS: dict[str, JobKind] = {}


def register(kind_class: type[JobKind]) -> JobKind:
    """Register a kind; answers its one instance, which services pass to the runner."""
    kind, known = kind_class(), _KINDS.get(kind_class.name)
    if known is not None and type(known).__qualname__ != kind_class.__qualname__:
        raise ValueError(f"Two job kinds are named {kind.name!r}")
    _KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind:
    if name not in _KINDS:
        autodiscover_modules("services")  # kinds register where their app's services are defined
    return _KINDS[name]


def all_kinds() -> list[JobKind]:
    autodiscover_modules("services")
    return list(_KINDS.values())
