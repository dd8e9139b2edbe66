"""Reading the trail: one organisation's entries, newest first, filtered as GET /api/v1/audit/ says."""

from collections.abc import Mapping

import django_filters
from django.db.models import QuerySet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.filters import UtcDateTimeFilter
from plum.core.models import AuditEntry
from plum.core.timefmt import iso


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_id", help_text="The acting API client's client_id or staff member's id"
    )
    action = django_filters.CharFilter(help_text="For example employee.updated")
    object_type = django_filters.CharFilter(help_text="For example points_request")
    object_id = django_filters.CharFilter(help_text="The identifier the object's REST path uses")
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte", help_text="Entries at or after this time")

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "object_type", "object_id", "since"]


def audit_entry_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(organisation_id=actor.organisation_id)
    filterset = AuditEntryFilter(data=filters or {}, queryset=entries)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def audit_entry_document(entry: AuditEntry) -> dict:
    """The one representation of an entry (REST, docs/audit.md)."""
    return {
        "id": str(entry.id),
        "at": iso(entry.at),
        "actor": {"kind": entry.actor_kind, "id": entry.actor_id, "name": entry.actor_name},
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
        "ip": entry.ip,
        "request_id": entry.request_id,
    }
