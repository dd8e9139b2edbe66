"""HRMS connections and runs as every door shows them, scoped to the caller's organisation. Credentials
never leave the model: no document carries them."""

from collections.abc import Iterable, Mapping

import django_filters
from django.db.models import OuterRef, QuerySet, Subquery

from integrations.hrms.errors import HrmsError, HrmsErrorCode
from integrations.hrms.models import Connection, Run
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso

# A run's status as clients see it: the runner's `processing` reads "running".
SHOWN_STATUS = {Run.Status.PROCESSING: "running"}
API_STATUSES = ("queued", "running", "needs_confirmation", "completed", "failed")
STORED_STATUS = {shown: stored for stored, shown in SHOWN_STATUS.items()}


class RunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=[(s, s) for s in API_STATUSES], method="_status")

    class Meta:
        model = Run
        fields = ["status"]

    def _status(self, queryset, name, value):
        return queryset.filter(status=STORED_STATUS.get(value, value))


# --- Connections ---------------------------------------------------------------------------------


def connection_list(*, actor: Actor) -> QuerySet[Connection]:
    return Connection.objects.filter(organisation_id=actor.organisation_id).defer("credentials_sealed")


def connection_get(*, actor: Actor, connection_id, for_update: bool = False) -> Connection:
    """The organisation's connection; another organisation's, or an id that is not a UUID, is not found.
    `for_update` locks the row (inside the caller's transaction) and reads the credentials too."""
    connections = Connection.objects.filter(organisation_id=actor.organisation_id)
    if for_update:
        connections = connections.select_for_update()
    pk = parse_uuid(connection_id)
    connection = None if pk is None else connections.filter(pk=pk).first()
    if connection is None:
        raise HrmsError(HrmsErrorCode.CONNECTION_NOT_FOUND, f"No HRMS connection {str(connection_id)!r}.")
    return connection


def last_runs(connections: Iterable[Connection]) -> dict:
    """The newest run of each connection, by connection id: one query for a page of connections."""
    ids = [c.pk for c in connections]
    if not ids:
        return {}
    runs = Run.objects.filter(connection_id__in=ids).order_by("connection_id", "-created_at", "-id")
    return {run.connection_id: run for run in runs.distinct("connection_id")}


def connection_document(c: Connection, last_run: Run | None) -> dict:
    """The one representation of a connection (never its credentials)."""
    return {
        "id": str(c.pk),
        "provider": c.provider,
        "base_url": c.base_url,
        "settings": c.settings,
        "schedule": c.schedule,
        "mode": c.mode,
        "field_map": c.field_map,
        "max_deactivation_ratio": c.max_deactivation_ratio,
        "active": c.active,
        "last_run": None if last_run is None else run_summary(last_run),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def connection_documents(connections: list[Connection]) -> list[dict]:
    latest = last_runs(connections)
    return [connection_document(c, latest.get(c.pk)) for c in connections]


def connection_admin_list() -> QuerySet[Connection]:
    """Every organisation's connections, with their newest run's status and time (last_run_status,
    last_run_at): operations staff act across organisations."""
    newest = Run.objects.filter(connection=OuterRef("pk")).order_by("-created_at", "-id")
    return Connection.objects.select_related("organisation").annotate(
        last_run_status=Subquery(newest.values("status")[:1]), last_run_at=Subquery(newest.values("created_at")[:1])
    )


# --- Runs ----------------------------------------------------------------------------------------


def run_list(*, actor: Actor, connection_id, filters: Mapping | None = None) -> QuerySet[Run]:
    connection = connection_get(actor=actor, connection_id=connection_id)
    runs = Run.objects.filter(organisation_id=actor.organisation_id, connection=connection)
    filterset = RunFilter(data=filters or {}, queryset=runs)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def run_get(*, actor: Actor, connection_id, run_id, for_update: bool = False) -> Run:
    runs = run_list(actor=actor, connection_id=connection_id)
    if for_update:
        runs = runs.select_for_update()
    pk = parse_uuid(run_id)
    run = None if pk is None else runs.filter(pk=pk).first()
    if run is None:
        raise HrmsError(HrmsErrorCode.RUN_NOT_FOUND, f"No run {str(run_id)!r} of this connection.")
    return run


def run_summary(r: Run) -> dict:
    """A run without its list of errors (a connection's last_run)."""
    finished = r.finished_at
    duration = None if r.started_at is None or finished is None else (finished - r.started_at).total_seconds()
    return {
        "id": str(r.pk),
        "connection_id": str(r.connection_id),
        "status": SHOWN_STATUS.get(r.status, r.status),
        "trigger": r.trigger,
        "mode": r.mode,
        "fetched": r.fetched,
        "created": r.created,
        "updated": r.updated,
        "deactivated": r.deactivated,
        "unchanged": r.unchanged,
        "errors_total": r.errors_total,
        "active_before": r.active_before,
        "would_deactivate": r.would_deactivate,
        "error": r.error or (r.last_error if r.status == Run.Status.FAILED else ""),
        "created_at": iso(r.created_at),
        "started_at": iso(r.started_at),
        "finished_at": iso(finished),
        "duration_seconds": None if duration is None else round(duration, 3),
        "confirmed_at": iso(r.confirmed_at),
    }


def run_document(r: Run) -> dict:
    """The one representation of a run (REST and the hrms_sync.completed event)."""
    return {**run_summary(r), "errors": list(r.errors)}


def run_admin_list() -> QuerySet[Run]:
    return Run.objects.select_related("connection", "organisation")
