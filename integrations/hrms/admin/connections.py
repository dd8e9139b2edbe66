"""HRMS connections for operations staff: add and change them with the API's checks, replace credentials
(never shown: the page says whether they are set), "sync now", delete, and the last runs at a glance."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from integrations.hrms import selectors, services
from integrations.hrms.commands import URL_MAX_LENGTH, ConnectionCreate, ConnectionRef, ConnectionUpdate
from integrations.hrms.models import Connection, Run
from plum.core.admin_base import GuardedModelAdmin, staff_actor
from plum.core.errors import DomainError, error_summary

EDITED = ("provider", "base_url", "settings", "schedule", "mode", "field_map", "max_deactivation_ratio", "active")
RECENT_RUNS = 10


class WriteOnlyJSONField(forms.JSONField):
    """Shown empty always: stored credentials are never put back in a page."""

    def prepare_value(self, value):
        return ""


class ConnectionForm(forms.ModelForm):
    base_url = forms.URLField(max_length=URL_MAX_LENGTH, assume_scheme="https")
    credentials = WriteOnlyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text='e.g. {"username": "…", "password": "…"}. Stored sealed and never shown; on a saved connection, '
        "leave empty to keep the stored credentials, or enter new ones to replace them whole.",
    )

    class Meta:
        model = Connection
        fields = ("organisation", *EDITED)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:  # absent when the page is view-only
            self.fields["organisation"].disabled = not self.instance._state.adding
        if "provider" in self.fields:
            self.fields["provider"].disabled = not self.instance._state.adding

    def clean(self):
        """The typed command and the service's checks, so a refusal shows on the form and nothing is saved."""
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name) for name in EDITED}
        if data.get("credentials") not in (None, "", {}):
            values["credentials"] = data["credentials"]
        try:
            if self.instance._state.adding:
                self.command = ConnectionCreate.parse(values)
                services.check_connection(self.command.provider, dict(self.command))
            else:
                changed = {name: values[name] for name in values if name in self.changed_data}
                self.command = ConnectionUpdate.of(str(self.instance.pk), changed)
                services.check_changes(self.instance, self.command.changes())
        except DomainError as exc:
            for error in exc.errors or [{"field": None, "message": exc.message}]:
                path = error.get("field") or ""
                field = path.split(".")[0].split("[")[0]
                message = error["message"] if path == field else f"{path}: {error['message']}"
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(Connection)
class ConnectionAdmin(GuardedModelAdmin):
    form = ConnectionForm
    list_display = ("__str__", "organisation", "provider", "mode", "schedule", "active", "last_run", "created_at")
    list_filter = ("provider", "active", "organisation")
    search_fields = ("base_url", "organisation__slug")
    list_select_related = ("organisation",)
    actions = ("sync_now", "delete_connections")
    ordering = ("-created_at",)
    readonly = ("credentials_state", "watermark", "recent_runs", "created_at", "updated_at")

    def get_queryset(self, request):
        return selectors.connection_admin_list()

    def get_readonly_fields(self, request, obj=None):
        return self.readonly if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False  # the "delete" action goes through the service (refused while a run is in progress)

    @admin.display(description="Credentials")
    def credentials_state(self, obj):
        return "set" if obj.credentials_sealed else "not set"

    @admin.display(description="Last run")
    def last_run(self, obj):
        if obj.last_run_at is None:
            return self.get_empty_value_display()
        return f"{obj.last_run_status} · {obj.last_run_at:%Y-%m-%d %H:%M}"

    @admin.display(description="Recent runs")
    def recent_runs(self, obj):
        runs = obj.runs.order_by("-created_at")[:RECENT_RUNS]
        if not runs:
            return "No run yet."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:integrations_hrms_run_change", args=[run.pk]),
                    f"{run.created_at:%Y-%m-%d %H:%M:%S}",
                    run.status,
                    run.trigger,
                    counts(run),
                    run.error or run.last_error,
                )
                for run in runs
            ),
        )
        head = mark_safe("<tr><th>Created</th><th>Status</th><th>Trigger</th><th>Counts</th><th>Error</th></tr>")
        return format_html('<table class="hrms-recent-runs">{}{}</table>', head, rows)

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            services.connection_update(actor=actor, command=form.command)
            return
        obj.pk = services.connection_create(actor=actor, command=form.command).pk

    @admin.action(description="Sync now", permissions=["change"])
    def sync_now(self, request, queryset):
        for connection in queryset.order_by("created_at"):
            command = ConnectionRef.parse({"connection_id": str(connection.pk)})
            actor = staff_actor(request, connection.organisation_id)
            try:
                run = services.run_start(actor=actor, command=command, trigger=Run.Trigger.ADMIN)
            except DomainError as exc:
                self.message_user(request, f"{connection}: {error_summary(exc)}", messages.WARNING)
                continue
            self.message_user(request, f"{connection}: run {run.pk} queued.", messages.SUCCESS)

    @admin.action(description="Delete the selected connections (with their runs)", permissions=["change"])
    def delete_connections(self, request, queryset):
        for connection in queryset.order_by("created_at"):
            command = ConnectionRef.parse({"connection_id": str(connection.pk)})
            try:
                services.connection_delete(actor=staff_actor(request, connection.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"{connection}: {error_summary(exc)}", messages.WARNING)
                continue
            self.message_user(request, f"{connection}: deleted.", messages.SUCCESS)


def counts(run: Run) -> str:
    """fetched 120: +3 created, 2 updated, 1 deactivated, 114 unchanged, 0 errors."""
    return (
        f"fetched {run.fetched:,}: {run.created:,} created, {run.updated:,} updated, "
        f"{run.deactivated:,} deactivated, {run.unchanged:,} unchanged, {run.errors_total:,} errors"
    )
