"""The audit trail in the admin: read-only, filtered by action, object type, actor kind and date, searched by
object id or request id. Nobody adds, changes or deletes an entry here (the database refuses it anyway)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from plum.core.admin_base import ReadOnlyAdmin
from plum.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "object_type", "object_id", "actor_kind", "actor_name", "request_id", "ip")
    list_filter = ("action", "object_type", "actor_kind", ("at", admin.DateFieldListFilter))
    search_fields = ("=object_id", "=request_id")
    search_help_text = "An object's id or a request id, exactly"
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    show_full_result_count = False
    fields = (
        "at",
        "organisation_id",
        "actor_kind",
        "actor_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "changes_shown",
        "ip",
        "request_id",
    )
    readonly_fields = fields

    def get_actions(self, request):
        return {}  # not even "delete selected"

    @admin.display(description="Changes")
    def changes_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, ensure_ascii=False, sort_keys=True))
