"""An HRMS run as a job of plum.core.jobs: each chunk is one step, in the runner's transaction, with the
run's row locked (parallel or repeated messages of one run take turns and see each other's work).

- fetching: one vendor fetch, staged as a RunPage with the cursor that follows. FetchFailed fails the run
  there: nothing applied, the staged pages deleted.
- fetched: a full run that would deactivate more than max_deactivation_ratio of the active employees is
  held at needs_confirmation (the runner stops: not an unfinished status) until confirmed. Otherwise every
  staged record (and every one the vendor module could not read, as rejected) goes to the users sync
  service in one call; the counts, the errors, the phase flip to
  applied, the watermark and the deletion of the pages commit with it, or nothing does (a worker dying
  mid-apply leaves the run fetched, and the next message applies it).
- applied: nothing left; the runner completes the run and writes hrms_sync.completed.

The last attempt the runner allows a chunk runs in a savepoint: if it raises too, the run is failed
cleanly (pages deleted, event written) rather than left failed by the runner with its pages.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.hrms.models import Connection, Run, RunPage
from integrations.hrms.selectors import run_document
from integrations.hrms.services.connections import connection_spec
from integrations.hrms.vendors import vendor_for
from integrations.hrms.vendors.base import FetchFailed
from plum.core import audit, jobs
from plum.core.actor import Actor
from plum.core.errors import DomainError, error_summary
from plum.core.outbox import Event, outbox_emit
from users.commands import EmployeesSync, RejectedRecord
from users.models import Employee
from users.services import employees_sync

logger = logging.getLogger(__name__)
EVENT_TYPE = "hrms_sync.completed"
ERROR_FIELDS = ("employee_id", "field", "code", "message")
NOTHING = {"processed": 0}  # a chunk that ended the run: the runner reads the new status and stops


class HrmsRunJobs(jobs.JobKind):
    name = "hrms.run"
    model = Run
    chunk_size = 1  # a chunk is one step (one page), whatever its size
    max_failures = 5
    stale_after = timedelta(minutes=5)
    # the completion's one audit entry (hrms_sync.completed): the run's counts, never a line per person
    counted_fields = ("fetched", "created", "updated", "deactivated", "unchanged", "errors_total")

    def run_chunk(self, job: Run, chunk_size: int, now) -> dict[str, int] | None:
        run = Run.objects.select_for_update(of=("self",)).select_related("connection").filter(pk=job.pk).first()
        if run is None or run.status not in Run.UNFINISHED:
            return None
        if run.failures + 1 < self.max_failures:
            return step(run)
        try:
            with transaction.atomic():
                return step(run)
        except Exception as exc:  # the last attempt: end the run cleanly rather than leave its pages
            logger.exception("HRMS run %s failed %s times in a row", run.pk, self.max_failures)
            return fail(run, f"Plum could not process this run ({type(exc).__name__}: {exc}); start another.")

    def completed_event(self, job: Run) -> Event:
        return run_event(job)


RUN_JOBS = jobs.register(HrmsRunJobs)


def run_event(run: Run) -> Event:
    return Event(EVENT_TYPE, "hrms_run", str(run.pk), run_document(run))


def step(run: Run) -> dict[str, int] | None:
    if run.phase == Run.Phase.FETCHING:
        return fetch_page(run)
    if run.phase == Run.Phase.FETCHED:
        return hold_or_apply(run)
    return None


def fetch_page(run: Run) -> dict[str, int]:
    vendor = vendor_for(run.connection.provider)
    spec = connection_spec(run.connection, mode=run.mode, watermark=run.since)
    try:
        page = vendor.fetch(spec, run.cursor if run.pages else vendor.first_cursor(spec))
    except FetchFailed as exc:
        return fail(run, str(exc))
    run.pages += 1
    RunPage.objects.create(run=run, number=run.pages, records=page.records, errors=page.errors)
    run.cursor, run.watermark = page.next_cursor, later(run.watermark, page.watermark)
    if page.next_cursor is None:
        run.phase = Run.Phase.FETCHED
    run.save(update_fields=["pages", "cursor", "watermark", "phase"])
    people = len(page.records) + len(page.errors)  # a record the vendor module could not read was fetched too
    return {"fetched": people, "total": people}


def staged(run: Run) -> tuple[list[dict], list[dict]]:
    """Every staged record, in page order, and the vendor module's errors."""
    records, errors = [], []
    for page_records, page_errors in (
        RunPage.objects.filter(run=run).order_by("number").values_list("records", "errors")
    ):
        records += page_records
        errors += page_errors
    return records, errors


def sync_command(run: Run) -> EmployeesSync:
    """The staged records as one users sync. A record the vendor module could not read goes in rejected
    (reported in the sync's errors): it still names its employee, whom a full run must not deactivate."""
    records, vendor_errors = staged(run)
    body = {
        "mode": "full" if run.mode == Connection.Mode.FULL else "upsert",
        "source": f"hrms:{run.connection.provider}",
        "employees": records,
    }
    command = EmployeesSync.parse(body, max_records=len(records))
    rejected = [
        RejectedRecord({"employee_id": e.get("employee_id")}, [{k: e.get(k) for k in ("field", "code", "message")}])
        for e in vendor_errors
    ]
    return command.model_copy(update={"employees": [*command.employees, *rejected]})


def hold_or_apply(run: Run) -> dict[str, int]:
    try:
        command = sync_command(run)
    except DomainError as exc:
        return fail(run, f"The records could not be applied: {error_summary(exc)}")
    if run.mode == Connection.Mode.FULL and run.confirmed_at is None:
        run.active_before, run.would_deactivate = deactivation_preview(run.organisation_id, command)
        ratio = run.connection.max_deactivation_ratio
        held = run.active_before and run.would_deactivate / run.active_before > ratio
        run.status = Run.Status.NEEDS_CONFIRMATION if held else run.status
        run.save(update_fields=["active_before", "would_deactivate", "status"])
        if held:
            outbox_emit(organisation_id=run.organisation_id, event=run_event(run))
            return NOTHING
    return apply(run, command)


def deactivation_preview(organisation_id, command: EmployeesSync) -> tuple[int, int]:
    """(active employees now, how many of them this full sync would deactivate): as the sync decides,
    everyone active whom no record names, or whom a valid record names as inactive."""
    kept = {
        record.employee_id
        for _, record in command.records()
        if isinstance(record, RejectedRecord) or record.status != Employee.Status.INACTIVE  # None: active
    }
    active = Employee.objects.filter(organisation_id=organisation_id, status=Employee.Status.ACTIVE)
    active_ids = set(active.values_list("employee_id", flat=True))
    return len(active_ids), len(active_ids - kept)


def apply(run: Run, command: EmployeesSync) -> dict[str, int]:
    connection = run.connection
    try:
        with audit.suppressed():  # the run's completion is its one entry, with the counts
            result = employees_sync(actor=Actor.system(run.organisation_id, f"hrms:{connection.pk}"), command=command)
    except DomainError as exc:
        return fail(run, f"The records could not be applied: {error_summary(exc)}")
    errors = [{k: e.get(k) for k in ERROR_FIELDS} for e in result.errors]
    run.errors, run.errors_total = errors[: Run.MAX_ERRORS], len(errors)
    run.phase, run.cursor, run.finished_at = Run.Phase.APPLIED, None, timezone.now()
    run.save(update_fields=["errors", "errors_total", "phase", "cursor", "finished_at"])
    RunPage.objects.filter(run=run).delete()
    watermark = later(connection.watermark, run.watermark)
    if watermark != connection.watermark:
        Connection.objects.filter(pk=connection.pk).update(watermark=watermark)
    counts = {name: getattr(result, name) for name in ("created", "updated", "deactivated", "unchanged")}
    return {"processed": len(command.employees), **counts}


def fail(run: Run, message: str) -> dict[str, int]:
    """End the run failed with `message`: nothing applied, its staged pages deleted, the event written."""
    run.status, run.error, run.finished_at, run.cursor = Run.Status.FAILED, message[:1000], timezone.now(), None
    run.save(update_fields=["status", "error", "finished_at", "cursor"])
    RunPage.objects.filter(run=run).delete()
    outbox_emit(organisation_id=run.organisation_id, event=run_event(run))
    return NOTHING


def later(current: str, seen: str | None) -> str:
    """The later of two watermarks in the vendor's format: as times when both read as ISO 8601, else as
    text of equal length compares (longer is later: more digits)."""
    if not seen or not current:
        return seen or current or ""
    moments = [_moment(current), _moment(seen)]
    if None not in moments:
        return seen if moments[1] > moments[0] else current
    return seen if (len(seen), seen) > (len(current), current) else current


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
