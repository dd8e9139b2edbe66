"""HRMS runs for operations staff, read-only: counts, per-record errors, why one failed; a run held at
needs_confirmation is confirmed (applied) or discarded (failed) with an action, through the services."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from integrations.hrms import selectors, services
from integrations.hrms.admin.connections import counts
from integrations.hrms.commands import RunRef
from integrations.hrms.models import Run
from plum.core.admin_base import ReadOnlyAdmin, staff_actor
from plum.core.errors import DomainError, error_summary


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connection", "organisation", "status", "trigger", "counts")
    list_filter = ("status", "trigger", "organisation")
    search_fields = ("id", "connection__base_url", "organisation__slug")
    list_select_related = ("connection", "organisation")
    ordering = ("-created_at",)
    actions = ("confirm", "discard")
    fields = (
        "connection",
        "organisation",
        "status",
        "phase",
        "trigger",
        "mode",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "counts",
        "active_before",
        "would_deactivate",
        "confirmed_by",
        "confirmed_at",
        "error",
        "last_error",
        "since",
        "watermark",
        "pages",
        "errors_shown",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.run_admin_list()

    def get_actions(self, request):
        # Confirm and discard are writes: offered to staff who may change runs, although the page is read-only.
        actions = super().get_actions(request)
        if not request.user.has_perm("integrations_hrms.change_run"):
            actions.pop("confirm", None)
            actions.pop("discard", None)
        return actions

    @admin.display(description="Counts")
    def counts(self, obj):
        return counts(obj)

    @admin.display(description="Errors")
    def errors_shown(self, obj):
        if not obj.errors_total:
            return "None."
        shown = json.dumps(obj.errors, indent=2, ensure_ascii=False)
        note = f"The first {len(obj.errors):,} of {obj.errors_total:,}." if obj.errors_total > len(obj.errors) else ""
        return format_html('<p>{}</p><pre class="hrms-run-errors">{}</pre>', note, shown)

    @admin.action(description="Confirm the selected held runs (apply them)")
    def confirm(self, request, queryset):
        self._each(request, queryset, services.run_confirm, "confirmed: it is being applied")

    @admin.action(description="Discard the selected held runs (apply nothing)")
    def discard(self, request, queryset):
        self._each(request, queryset, services.run_discard, "discarded")

    def _each(self, request, queryset, service, done: str):
        for run in queryset.order_by("created_at"):
            command = RunRef.parse({"connection_id": str(run.connection_id), "run_id": str(run.pk)})
            try:
                service(actor=staff_actor(request, run.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"Run {run.pk}: {error_summary(exc)}", messages.WARNING)
                continue
            self.message_user(request, f"Run {run.pk}: {done}.", messages.SUCCESS)
