"""Slack and Teams channels for operations staff: add and change them with the API's checks, write-only
secret fields of each kind (never shown back: a saved channel's page leaves them empty; empty keeps the
stored value), and the actions "send test message", re-enable and deactivate. Every write is a service call."""

from django import forms
from django.contrib import admin, messages

from integrations.chat import selectors
from integrations.chat.commands import EVENT_TYPES, ChannelCreate, ChannelRef, ChannelTest, ChannelUpdate
from integrations.chat.models import Channel
from integrations.chat.services import channels as services
from integrations.chat.services import notifications as sending
from plum.core.admin_base import GuardedModelAdmin, staff_actor
from plum.core.errors import DomainError, error_summary

EDITED = ("events", "target", "approvers", "templates", "active", "team_id", "slack_channel_id")
SECRETS = {
    "webhook_url": "slack_webhook and teams_workflow: the webhook URL",
    "bot_token": "slack_app: the bot token (xoxb-…)",
    "signing_secret": "slack_app (slack_webhook optional): the app's signing secret",
    "outgoing_secret": "teams_workflow, optional: the outgoing webhook's security token (base64)",
}


def _secret_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=f"{help_text}. Write-only: stored sealed, never shown; on a saved channel leave empty to keep it.",
    )


class ChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple)
    approvers = forms.CharField(required=False, help_text="Employee ids, comma-separated")
    webhook_url = _secret_field(SECRETS["webhook_url"])
    bot_token = _secret_field(SECRETS["bot_token"])
    signing_secret = _secret_field(SECRETS["signing_secret"])
    outgoing_secret = _secret_field(SECRETS["outgoing_secret"])

    class Meta:
        model = Channel
        fields = ("organisation", "kind", *EDITED)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "approvers" in self.fields:
            self.initial["approvers"] = ", ".join(self.instance.approvers or [])
        for name in ("organisation", "kind"):
            if name in self.fields:  # absent when the page is view-only
                self.fields[name].disabled = not self.instance._state.adding

    def clean(self):
        """The typed command and the service's checks, so a refusal shows on the form and nothing is saved."""
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name) for name in EDITED}
        values["events"] = list(values["events"] or [])
        values["approvers"] = [a.strip() for a in (data.get("approvers") or "").split(",") if a.strip()]
        values["templates"] = values["templates"] or {}
        for name in ("team_id", "slack_channel_id"):
            if not values[name]:
                values.pop(name)
        values.update({name: data[name] for name in SECRETS if data.get(name)})
        adding = self.instance._state.adding
        try:
            if adding:
                self.command = ChannelCreate.parse({"kind": data.get("kind"), **values})
                given = {k: v for k, v in self.command.given().items() if v is not None}
                services.check_channel(data["organisation"].pk, self.command.kind, self.command.target, given)
            else:
                changed = {k: v for k, v in values.items() if k in self.changed_data or k in SECRETS}
                self.command = ChannelUpdate.of(str(self.instance.pk), changed)
                given = self.command.changes()
                target = given.get("target") or self.instance.target
                services.check_channel(self.instance.organisation_id, self.instance.kind, target, given, self.instance)
        except DomainError as exc:
            for error in exc.errors or [{"field": None, "message": exc.message}]:
                path = error.get("field") or ""
                field = path.split(".")[0].split("[")[0]
                message = error["message"] if path == field else f"{path}: {error['message']}"
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(Channel)
class ChannelAdmin(GuardedModelAdmin):
    form = ChannelForm
    list_display = ("__str__", "organisation", "kind", "target", "event_list", "active", "disabled_reason")
    list_display += ("created_at",)
    list_filter = ("kind", "target", "active", "organisation")
    search_fields = ("team_id", "slack_channel_id", "organisation__slug")
    list_select_related = ("organisation",)
    actions = ("send_test", "reenable", "deactivate")
    ordering = ("-created_at",)
    readonly = ("disabled_reason", "teams_message_card", "created_at", "updated_at")

    def get_queryset(self, request):
        return selectors.channel_admin_list()

    def get_readonly_fields(self, request, obj=None):
        return self.readonly if obj else ()

    def get_fields(self, request, obj=None):
        secrets = ("webhook_url", "bot_token", "signing_secret", "outgoing_secret")
        return ("organisation", "kind", *EDITED, *secrets, *(self.readonly if obj else ()))

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            services.channel_update(actor=actor, command=form.command)
            return
        obj.pk = services.channel_create(actor=actor, command=form.command).pk

    def delete_model(self, request, obj):
        command = ChannelRef.parse({"channel_id": str(obj.pk)})
        services.channel_delete(actor=staff_actor(request, obj.organisation_id), command=command)

    def delete_queryset(self, request, queryset):
        for channel in queryset:
            self.delete_model(request, channel)

    @admin.action(description="Send a test message", permissions=["change"])
    def send_test(self, request, queryset):
        for channel in queryset:
            actor = staff_actor(request, channel.organisation_id)
            try:
                command = ChannelTest.parse({"channel_id": str(channel.pk)})
                sent = sending.channel_send_test(actor=actor, command=command)
            except DomainError as exc:
                self.message_user(request, f"{channel}: {error_summary(exc)}", messages.WARNING)
                continue
            outcome = sent.last_error or sent.last_status_code or "no answer yet"
            level = messages.SUCCESS if sent.state == "sent" else messages.WARNING
            self.message_user(request, f"Test message to {channel}: {sent.state} ({outcome}).", level)

    @admin.action(description="Re-enable (clears disabled_reason)", permissions=["change"])
    def reenable(self, request, queryset):
        self._set_active(request, queryset, True, "Re-enabled")

    @admin.action(description="Deactivate", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False, "Deactivated")

    def _set_active(self, request, queryset, active: bool, done: str):
        count = 0
        for channel in queryset:
            command = ChannelUpdate.of(str(channel.pk), {"active": active})
            try:
                services.channel_update(actor=staff_actor(request, channel.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"{channel}: {error_summary(exc)}", messages.WARNING)
                continue
            count += 1
        self.message_user(request, f"{done} {count} channel{'s' if count != 1 else ''}.")
