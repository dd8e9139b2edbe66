"""The audit trail: one entry per write, from every door, in the write's transaction.

    with transaction.atomic():
        ...  # the write
        audit.record(actor=actor, action="programme.updated", object_type="programme", object_id=code,
                     changes=audit.changes_between(before, after))

A replay or a call that changes nothing records nothing: call record() only when something changed.
Bulk jobs record one entry per job, `changes=audit.counts({...})`. See docs/audit.md."""

from plum.core.audit.context import RequestContext, RequestIdLogFilter, current_request, request_context
from plum.core.audit.entries import actor_identity, record, record_event, sql_entry, suppressed
from plum.core.audit.values import changes_between, counts, created, is_denied, json_safe

__all__ = [
    "RequestContext",
    "RequestIdLogFilter",
    "actor_identity",
    "changes_between",
    "counts",
    "created",
    "current_request",
    "is_denied",
    "json_safe",
    "record",
    "record_event",
    "request_context",
    "sql_entry",
    "suppressed",
]
