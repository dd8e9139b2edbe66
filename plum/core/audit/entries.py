"""Writing audit entries: one per business call, in the transaction of the change."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from plum.core.actor import Actor
from plum.core.audit.context import current_request
from plum.core.audit.values import json_safe
from plum.core.outbox import Event, outbox_emit

_INSERT_SQL = (
    "INSERT INTO core_auditentry (organisation_id, at, actor_kind, actor_id, actor_name, action, object_type,"
    " object_id, changes, ip, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_suppressed: ContextVar[bool] = ContextVar("plum_audit_suppressed", default=False)
_KINDS = {"api_client": "client", "staff": "staff", "system": "system"}


def actor_identity(actor: Actor) -> tuple[str, str | None, str]:
    """(kind, id, name) as the trail shows them: a client by its public client_id, staff by user id, the
    system with no id."""
    kind = _KINDS[actor.kind]
    if kind == "client":
        return (
            kind,
            actor.client_key or (str(actor.client_id) if actor.client_id is not None else None),
            (actor.name or actor.label)[:200],
        )
    if kind == "staff":
        return kind, str(actor.user_id) if actor.user_id is not None else None, (actor.name or actor.label)[:200]
    return kind, None, (actor.name or actor.label)[:200]


def record(*, actor: Actor, action: str, object_type: str, object_id: str, changes: dict | None = None) -> None:
    """One entry about `object_type`/`object_id`, written in the caller's transaction (call it inside the
    service's atomic block, after the write succeeded). Denied keys are dropped from `changes` here too."""
    if _suppressed.get():
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Audit entries must be written inside the transaction of the change.")
    context = current_request()
    kind, actor_id, name = actor_identity(actor)
    row = [
        actor.organisation_id,
        timezone.now(),
        kind,
        actor_id,
        name,
        action,
        object_type,
        str(object_id),
        Jsonb(json_safe(changes or {})),
        context.ip,
        context.request_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, row)


def sql_entry(*, actor: Actor, changes: dict | None = None) -> dict | None:
    """An entry's who and where, and its changes, for a database function that writes the entry in the same
    statement as the change (the one-statement points credit); None inside suppressed()."""
    if _suppressed.get():
        return None
    context = current_request()
    kind, actor_id, name = actor_identity(actor)
    return {
        "actor_kind": kind,
        "actor_id": actor_id,
        "actor_name": name,
        "ip": context.ip,
        "request_id": context.request_id,
        "changes": json_safe(changes or {}),
    }


@contextmanager
def suppressed() -> Iterator[None]:
    """Inside, record() writes nothing: a call that runs another door's service (a SCIM PUT updating an
    employee, a hook submitting a points request) records the one entry about what it names itself."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def record_event(*, actor: Actor, event: Event, changes: dict | None = None) -> None:
    """Where a write emits an outbox event, the event and the audit entry together: the entry's action is the
    event's name and its object the event's aggregate."""
    outbox_emit(organisation_id=actor.organisation_id, event=event)  # emitted even where the entry is suppressed
    record(
        actor=actor,
        action=event.event_type,
        object_type=event.aggregate_type,
        object_id=event.aggregate_id,
        changes=changes,
    )
