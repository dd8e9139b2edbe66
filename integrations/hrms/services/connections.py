"""HRMS connections: create, change, delete. Every save is checked by the vendor module (settings,
credentials, field_map) and by the outbound guard (base_url), and keeps the connection's schedule in
step (services.schedules) in the same transaction. Credentials are sealed, bound to the organisation."""

import json

from django.db import transaction

from integrations import outbound
from integrations.hrms.commands import ConnectionCreate, ConnectionRef, ConnectionUpdate, schedule_problem
from integrations.hrms.errors import HrmsError, HrmsErrorCode
from integrations.hrms.models import Connection, Run
from integrations.hrms.selectors import connection_get
from integrations.hrms.services.schedules import schedule_delete, schedule_save
from integrations.hrms.vendors import vendor_for
from integrations.hrms.vendors.base import ConnectionSpec
from integrations.trail import record_changed, record_created, values_of
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.keys import seal, unseal

CHECKED = ("base_url", "settings", "credentials", "field_map")  # what the vendor module looks at


def sealed_credentials(credentials: dict, organisation_id) -> bytes:
    return seal(json.dumps(credentials, sort_keys=True), organisation_id)


def connection_credentials(connection: Connection) -> dict:
    return json.loads(unseal(connection.credentials_sealed, connection.organisation_id))


def connection_spec(connection: Connection, *, mode: str | None = None, watermark: str | None = None) -> ConnectionSpec:
    """The connection as a vendor module takes it, credentials unsealed."""
    return ConnectionSpec(
        provider=connection.provider,
        base_url=connection.base_url,
        settings=connection.settings,
        credentials=connection_credentials(connection),
        mode=mode or connection.mode,
        field_map=connection.field_map,
        watermark=watermark or None,
    )


def check_connection(provider: str, values: dict) -> None:
    """422 invalid_schedule unless the schedule is one; 422 invalid_connection with the vendor module's field
    errors (what this provider needs, which the schema cannot say for every provider); then 422
    url_not_allowed unless Plum may call base_url."""
    check_schedule(values.get("schedule", ""))
    errors = vendor_for(provider).validate(**{name: values[name] for name in CHECKED})
    if errors:
        raise HrmsError(HrmsErrorCode.INVALID_CONNECTION, f"This {provider} connection is not complete.", errors=errors)
    try:
        outbound.check_url(values["base_url"])
    except outbound.OutboundRefused as exc:
        raise HrmsError(
            HrmsErrorCode.URL_NOT_ALLOWED, f"Plum may not call this URL: {exc}.", field="base_url"
        ) from None


def check_schedule(schedule: str) -> None:
    if problem := schedule_problem(schedule):
        raise HrmsError(HrmsErrorCode.INVALID_SCHEDULE, problem, field="schedule")


# What the audit trail keeps of a connection: never the credentials, only that they were sent.
AUDITED = ("provider", "base_url", "settings", "schedule", "mode", "field_map", "max_deactivation_ratio", "active")
CREDENTIALS_SENT = {"credentials": "sent"}


def connection_create(*, actor: Actor, command: ConnectionCreate) -> Connection:
    values = dict(command)  # the values as parsed (model_dump would re-serialise the enums)
    check_connection(command.provider, values)
    with transaction.atomic():
        connection = Connection.objects.create(
            organisation_id=actor.organisation_id,
            credentials_sealed=sealed_credentials(values.pop("credentials"), actor.organisation_id),
            **values,
        )
        schedule_save(connection)
        record_created(
            actor, "hrms_connection.created", connection.pk, values_of(connection, AUDITED) | CREDENTIALS_SENT
        )
    return connection


def connection_update(*, actor: Actor, command: ConnectionUpdate) -> Connection:
    """Changes what was sent; the connection as a whole is checked again when base_url, settings,
    credentials or field_map change. A PATCH that changes nothing writes nothing."""
    changes = command.changes()
    with transaction.atomic():
        connection = connection_get(actor=actor, connection_id=command.connection_id, for_update=True)
        check_changes(connection, changes)
        if "credentials" in changes:
            changes["credentials_sealed"] = sealed_credentials(changes.pop("credentials"), connection.organisation_id)
        changed = [name for name, value in changes.items() if _differs(getattr(connection, name), value)]
        before = values_of(connection, AUDITED)
        for name in changed:
            setattr(connection, name, changes[name])
        if changed:
            connection.save(update_fields=[*changed, "updated_at"])
            if {"schedule", "active"} & set(changed):
                schedule_save(connection)
            after = values_of(connection, AUDITED) | (CREDENTIALS_SENT if "credentials_sealed" in changed else {})
            record_changed(actor, "hrms_connection.updated", connection.pk, before, after)
    return connection


def check_changes(connection: Connection, changes: dict) -> None:
    """The checks of a change (the admin's form runs them before saving): the provider stays; the
    connection as it would be is checked again when base_url, settings, credentials or field_map change."""
    if changes.pop("provider", connection.provider) != connection.provider:
        message = "The provider cannot be changed; create another connection."
        raise ValidationFailed([field_error("provider", CoreErrorCode.INVALID, message)])
    if changes.get("schedule"):
        check_schedule(changes["schedule"])
    if any(name in changes for name in CHECKED):
        current = {name: getattr(connection, name) for name in CHECKED if name != "credentials"}
        current["credentials"] = connection_credentials(connection)
        check_connection(connection.provider, {**current, **changes})


def _differs(stored, value) -> bool:
    if isinstance(value, bytes):
        return True  # credentials sent are sealed anew (the nonce differs): always a change
    return stored != value


def connection_delete(*, actor: Actor, command: ConnectionRef) -> None:
    """Deletes the connection, its runs and its schedule; 409 run_in_progress while a run is queued,
    running or waiting for confirmation (run_start locks the connection too, so none can slip in)."""
    with transaction.atomic():
        connection = connection_get(actor=actor, connection_id=command.connection_id, for_update=True)
        if Run.objects.filter(connection=connection, status__in=Run.IN_PROGRESS).exists():
            raise HrmsError(
                HrmsErrorCode.RUN_IN_PROGRESS,
                "A run of this connection is in progress: wait for it to end; a run held at needs_confirmation "
                "ends when it is confirmed, or replaced by a new run (sync).",
            )
        schedule_delete(connection.pk)
        record_changed(actor, "hrms_connection.deleted", connection.pk, values_of(connection, AUDITED), {})
        connection.delete()
