"""Hook endpoints and their receipts. Endpoints are made, changed and rotated through
integrations.events.services.hooks with a staff Actor; the secret is shown once, on a page of its own, to
the staff member who made or rotated it. Receipts are only looked at."""

from django import forms
from django.contrib import admin, messages

from integrations.events.commands.hooks import HookEndpointCreate, HookEndpointRef, HookEndpointUpdate
from integrations.events.models import HookEndpoint, HookReceipt
from integrations.events.selectors import hooks as selectors
from integrations.events.services import hooks as services
from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, secret_page, staff_actor
from plum.core.errors import DomainError, ValidationFailed


class HookEndpointForm(forms.ModelForm):
    mapping = forms.JSONField(
        help_text='JSON pointers, e.g. {"event_id": "/id", "type": "=kpi.threshold_crossed", '
        '"employee_id": "/employee/code", "occurred_at": "/ts", "data": "/payload"}'
    )

    class Meta:
        model = HookEndpoint
        fields = ("organisation", "name", "mapping", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:  # absent when the page is view-only
            self.fields["organisation"].disabled = not self.instance._state.adding

    def clean(self):
        cleaned = super().clean()
        data = {name: cleaned[name] for name in ("name", "mapping", "active") if name in cleaned}
        try:
            self.command = HookEndpointCreate.parse(data)  # the same rules as the API, errors on their fields
        except ValidationFailed as exc:
            for error in exc.errors:
                field = (error["field"] or "").split(".")[0]
                message = f"{error['field']}: {error['message']}" if field == "mapping" else error["message"]
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(HookEndpoint)
class HookEndpointAdmin(GuardedModelAdmin):
    form = HookEndpointForm
    actions = ("rotate_secret", "deactivate")
    list_display = ("name", "organisation", "url", "active", "created_at")
    list_filter = ("active", "organisation")
    search_fields = ("name", "organisation__slug")
    readonly_fields = ("url", "previous_secret_expires_at", "created_at", "updated_at")

    @admin.display(description="URL")
    def url(self, obj):
        return selectors.hook_endpoint_url(obj) if obj.endpoint_key else self.get_empty_value_display()

    def get_queryset(self, request):
        return selectors.hook_endpoint_admin_list()

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: its receipts and events stay

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "organisation"}
            command = HookEndpointUpdate.of(obj.pk, changes)
            obj.pk = services.hook_endpoint_update(actor=actor, command=command).pk
            return
        made = services.hook_endpoint_create(actor=actor, command=form.command)
        obj.pk, obj.endpoint_key = made.endpoint.pk, made.endpoint.endpoint_key
        request._issued_hook_secret = made

    def response_add(self, request, obj, post_url_continue=None):
        made = getattr(request, "_issued_hook_secret", None)
        if made is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, made, "Hook endpoint created")

    def _secret_page(self, request, made, title, *, grace=None):
        rows = [("Name", made.endpoint.name), ("Address", selectors.hook_endpoint_url(made.endpoint))]
        return secret_page(self, request, title=title, obj=made.endpoint, secret=made.secret, rows=rows, grace=grace)

    @admin.action(description="Rotate the signing secret (the old one works 24 more hours)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one hook endpoint at a time.", messages.WARNING)
            return None
        endpoint = queryset.get()
        command = HookEndpointRef.parse({"endpoint_id": endpoint.pk})
        try:
            made = services.hook_endpoint_rotate_secret(
                actor=staff_actor(request, endpoint.organisation_id), command=command
            )
        except DomainError as exc:
            self.message_user(request, f"{endpoint.name}: {exc.message}", messages.ERROR)
            return None
        grace = made.endpoint.previous_secret_expires_at
        return self._secret_page(request, made, "New signing secret issued", grace=grace)

    @admin.action(description="Deactivate (the address answers 404; history stays)", permissions=["change"])
    def deactivate(self, request, queryset):
        for endpoint in queryset:
            command = HookEndpointRef.parse({"endpoint_id": endpoint.pk})
            services.hook_endpoint_deactivate(actor=staff_actor(request, endpoint.organisation_id), command=command)
        self.message_user(request, f"Deactivated {len(queryset)} hook endpoint(s).")


@admin.register(HookReceipt)
class HookReceiptAdmin(ReadOnlyAdmin):
    list_display = ("webhook_id", "endpoint", "event", "received_at")
    list_filter = ("endpoint__organisation",)
    search_fields = ("webhook_id", "event__event_id", "endpoint__name")
    fields = ("endpoint", "webhook_id", "event", "received_at")
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.hook_receipt_admin_list()
