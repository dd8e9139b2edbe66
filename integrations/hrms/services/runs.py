"""Starting, confirming and discarding runs. One run at a time per connection: the partial unique index
hrms_one_run_at_a_time decides (a second start is 409 run_in_progress), and the connection's row is
locked while a run is started so that a delete cannot cross it. A start by someone (API, admin) replaces
a run held at needs_confirmation, applying nothing of it: the way out for a client that cannot discard.
Messages go after the commit."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.hrms.commands import ConnectionRef, RunRef
from integrations.hrms.errors import HrmsError, HrmsErrorCode
from integrations.hrms.models import Connection, Run, RunPage
from integrations.hrms.selectors import connection_get, run_get
from integrations.hrms.services.job import RUN_JOBS, run_event
from integrations.trail import record_changed, record_created
from plum.core import jobs
from plum.core.actor import Actor
from plum.core.ids import parse_uuid
from plum.core.outbox import outbox_emit

logger = logging.getLogger(__name__)
ONE_AT_A_TIME = "hrms_one_run_at_a_time"


def run_start(*, actor: Actor, command: ConnectionRef, trigger: str = Run.Trigger.API) -> Run:
    """Queue a run of an active connection; 409 run_in_progress while another is queued or running. A held
    run is ended failed ("replaced"), nothing of it applied, and the new run fetches the feed again."""
    with transaction.atomic():
        connection = connection_get(actor=actor, connection_id=command.connection_id, for_update=True)
        if not connection.active:
            raise HrmsError(HrmsErrorCode.CONNECTION_INACTIVE, "This connection is inactive: set active to true first.")
        held = Run.objects.select_for_update().filter(connection=connection, status=Run.Status.NEEDS_CONFIRMATION)
        replaced = []
        for run in held:
            _end_unapplied(run, f"Replaced by a new run started by {_who(actor)}; nothing of this one was applied.")
            replaced.append(str(run.pk))
        run = _start(connection, trigger, actor.label)
        values = {
            "connection": connection.pk,
            "trigger": run.trigger,
            "mode": run.mode,
            "since": run.since,
            "status": run.status,
        }
        # the one entry of the call: a held run it ends (unapplied) is named here, not told apart
        record_created(actor, "hrms_run.started", run.pk, values | ({"replaced_runs": replaced} if replaced else {}))
        return run


def run_start_scheduled(connection_id) -> Run | None:
    """Beat's start: skipped (and logged) when the connection is gone, inactive or unscheduled, or while a
    run is in progress."""
    with transaction.atomic():
        pk = parse_uuid(connection_id)
        connection = None if pk is None else Connection.objects.select_for_update().filter(pk=pk).first()
        if connection is None or not connection.active or not connection.schedule:
            logger.info("HRMS connection %s: no scheduled run (gone, inactive or unscheduled)", connection_id)
            return None
        try:
            return _start(connection, Run.Trigger.SCHEDULE, "schedule")
        except HrmsError:
            logger.info("HRMS connection %s: scheduled run skipped, a run is in progress", connection_id)
            return None


def _start(connection: Connection, trigger: str, label: str) -> Run:
    incremental = connection.mode == Connection.Mode.INCREMENTAL
    try:
        with transaction.atomic():
            run = Run.objects.create(
                organisation_id=connection.organisation_id,
                connection=connection,
                trigger=trigger,
                mode=connection.mode,
                since=connection.watermark if incremental else "",
                created_by=label[:200],
            )
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != ONE_AT_A_TIME:
            raise
        raise HrmsError(
            HrmsErrorCode.RUN_IN_PROGRESS, "A run of this connection is already queued or running."
        ) from None
    jobs.enqueue(RUN_JOBS, run.pk)
    return run


def run_confirm(*, actor: Actor, command: RunRef) -> Run:
    """Apply a run held at needs_confirmation: it continues (202) and completes; any other state is 409."""
    with transaction.atomic():
        run = _held(actor, command)
        before = {"status": run.status, "confirmed_at": run.confirmed_at}
        now = timezone.now()
        run.status, run.confirmed_by, run.confirmed_at, run.progress_at = Run.Status.PROCESSING, actor.label, now, now
        run.save(update_fields=["status", "confirmed_by", "confirmed_at", "progress_at"])
        after = {"status": run.status, "confirmed_at": run.confirmed_at}
        record_changed(actor, "hrms_run.confirmed", run.pk, before, after)
        jobs.enqueue(RUN_JOBS, run.pk)
    return run


def run_discard(*, actor: Actor, command: RunRef) -> Run:
    """Staff: end a held run without applying it (failed, "discarded by …"); its staged pages are deleted."""
    with transaction.atomic():
        run = _held(actor, command)
        before = {"status": run.status, "error": run.error}
        _end_unapplied(run, f"Discarded by {_who(actor)}.")
        record_changed(actor, "hrms_run.discarded", run.pk, before, {"status": run.status, "error": run.error})
    return run


def _end_unapplied(run: Run, error: str) -> None:
    run.status, run.error, run.finished_at = Run.Status.FAILED, error, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    RunPage.objects.filter(run=run).delete()
    outbox_emit(organisation_id=run.organisation_id, event=run_event(run))


def _who(actor: Actor) -> str:
    return actor.label.removeprefix("staff:")


def _held(actor: Actor, command: RunRef) -> Run:
    run = run_get(actor=actor, connection_id=command.connection_id, run_id=command.run_id, for_update=True)
    if run.status != Run.Status.NEEDS_CONFIRMATION:
        raise HrmsError(
            HrmsErrorCode.RUN_NOT_AWAITING_CONFIRMATION,
            f"This run is {run.status}; only a run held at needs_confirmation can be confirmed or discarded.",
        )
    return run
