"""Webhook subscriptions for operations staff: create (the secret shown once, on a page of its own, never
stored in a message or session), change, and the actions rotate secret, send test, re-enable, deactivate.
Every write goes through integrations.webhooks.services; deliveries are admin/deliveries.py's."""

from django import forms
from django.contrib import admin, messages

from integrations.webhooks.commands import (
    EVENT_TYPES,
    URL_MAX_LENGTH,
    SubscriptionCreate,
    SubscriptionRef,
    SubscriptionUpdate,
)
from integrations.webhooks.models import Subscription
from integrations.webhooks.selectors import deliveries as delivery_selectors
from integrations.webhooks.selectors import subscriptions as selectors
from integrations.webhooks.services import deliveries as delivery_services
from integrations.webhooks.services import subscriptions as services
from plum.core.admin_base import GuardedModelAdmin, secret_page, staff_actor
from plum.core.errors import DomainError, error_summary


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=URL_MAX_LENGTH, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscription
        fields = ("organisation", "url", "events", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:  # absent when the page is view-only
            self.fields["organisation"].disabled = not self.instance._state.adding

    def clean(self):
        """The typed command and the URL guard, so a refusal shows on the form and nothing is saved."""
        data = super().clean()
        if self.errors:
            return data
        values = {"url": data.get("url"), "events": list(data.get("events") or []), "active": data.get("active")}
        try:
            if self.instance._state.adding:
                self.command = SubscriptionCreate.parse(values)
            else:
                changed = {name: values[name] for name in values if name in self.changed_data}
                self.command = SubscriptionUpdate.of(str(self.instance.pk), changed)
            if "url" in self.changed_data or self.instance._state.adding:
                services.check_url_allowed(self.command.url)
        except DomainError as exc:
            for error in exc.errors or [{"field": None, "message": exc.message}]:
                field = (error.get("field") or "").split("[")[0]
                self.add_error(field if field in self.fields else None, error["message"])
        return data


@admin.register(Subscription)
class SubscriptionAdmin(GuardedModelAdmin):
    form = SubscriptionForm
    list_display = ("url", "organisation", "event_list", "active", "disabled_reason", "failing_since", "created_at")
    list_filter = ("active", "organisation")
    search_fields = ("url",)
    list_select_related = ("organisation",)
    actions = ("rotate_secret", "send_test", "reenable", "deactivate")
    ordering = ("-created_at",)
    readonly = ("disabled_reason", "failing_since", "previous_secret_expires_at", "created_at", "updated_at")

    def get_queryset(self, request):
        return selectors.subscription_admin_list()

    def get_readonly_fields(self, request, obj=None):
        return self.readonly if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False  # deliveries' history hangs on it: deactivate instead

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            services.subscription_update(actor=actor, command=form.command)
            return
        issued = services.subscription_create(actor=actor, command=form.command)
        obj.pk = issued.subscription.pk
        request._issued_webhook_secret = issued

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_webhook_secret", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, issued, "Webhook subscription created")

    @admin.action(description="Rotate the signing secret (the old one stays valid 24 h)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one subscription at a time.", messages.WARNING)
            return None
        subscription = queryset.get()
        command = SubscriptionRef.parse({"subscription_id": str(subscription.pk)})
        issued = services.subscription_rotate_secret(
            actor=staff_actor(request, subscription.organisation_id), command=command
        )
        return self._secret_page(request, issued, "New signing secret issued", rotated=True)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test(self, request, queryset):
        for subscription in queryset:
            actor = staff_actor(request, subscription.organisation_id)
            try:
                delivery = delivery_services.delivery_send_test(actor=actor, subscription_id=subscription.pk)
            except DomainError as exc:
                self.message_user(request, f"{subscription.url}: {error_summary(exc)}", messages.WARNING)
                continue
            # as the send (run right after the service's commit) left it
            sent = delivery_selectors.delivery_get(
                actor=actor, subscription_id=subscription.pk, delivery_id=delivery.pk
            )
            outcome = sent.last_status_code or sent.last_error or "no answer yet"
            self.message_user(request, f"Test delivery to {subscription.url}: {sent.state} ({outcome}).")

    @admin.action(description="Re-enable (clears the failure state)", permissions=["change"])
    def reenable(self, request, queryset):
        self._set_active(request, queryset, True, "Re-enabled")

    @admin.action(description="Deactivate", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False, "Deactivated")

    def _set_active(self, request, queryset, active: bool, done: str):
        count = 0
        for subscription in queryset:
            command = SubscriptionUpdate.of(str(subscription.pk), {"active": active})
            try:
                services.subscription_update(actor=staff_actor(request, subscription.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"{subscription.url}: {error_summary(exc)}", messages.WARNING)
                continue
            count += 1
        self.message_user(request, f"{done} {count} subscription{'s' if count != 1 else ''}.")

    def _secret_page(self, request, issued, title, *, rotated: bool = False):
        subscription = issued.subscription
        rows = [("Organisation", subscription.organisation.slug), ("URL", subscription.url)]
        grace = subscription.previous_secret_expires_at if rotated else None
        return secret_page(self, request, title=title, obj=subscription, secret=issued.secret, rows=rows, grace=grace)
