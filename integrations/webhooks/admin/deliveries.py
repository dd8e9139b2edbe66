"""Webhook deliveries for operations staff, read-only: filter by state, event type and subscription; the
detail page shows the body sent and every attempt (status, error, answer excerpt, duration). The action
"retry" goes through integrations.webhooks.services.deliveries.delivery_retry."""

from django.contrib import admin, messages
from django.utils.html import format_html

from integrations.webhooks.commands import EVENT_TYPES
from integrations.webhooks.models import Delivery, DeliveryAttempt
from integrations.webhooks.selectors import deliveries as selectors
from integrations.webhooks.services import deliveries as services
from plum.core.admin_base import ReadOnlyAdmin, staff_actor
from plum.core.errors import DomainError, error_summary


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "attempted_at", "status_code", "error", "answer_excerpt", "duration_ms")
    readonly_fields = fields
    ordering = ("number",)
    extra = 0
    can_delete = False
    verbose_name_plural = "Attempts"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventTypeFilter(admin.SimpleListFilter):
    """The event types of API.md, not a DISTINCT over every delivery."""

    title, parameter_name = "event type", "event_type"

    def lookups(self, request, model_admin):
        return [(kind, kind) for kind in EVENT_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "state", "attempts", "last_status_code", "last_error_short", "subscription")
    list_display += ("organisation_slug", "next_attempt_at", "created_at", "delivered_at")
    list_filter = ("state", EventTypeFilter, "subscription")
    search_fields = ("event_id",)
    list_select_related = ("subscription__organisation",)
    show_full_result_count = False
    ordering = ("-created_at",)
    fields = ("id", "event_id", "event_type", "subscription", "organisation_slug", "state", "attempts")
    fields += ("last_status_code", "last_error", "next_attempt_at", "created_at", "delivered_at", "body_sent")
    readonly_fields = fields
    inlines = (AttemptInline,)
    actions = ("retry",)

    def get_queryset(self, request):
        return selectors.delivery_admin_list()

    def has_retry_permission(self, request):
        return request.user.has_perm("integrations_webhooks.change_delivery")

    @admin.display(description="Organisation")
    def organisation_slug(self, obj):
        return obj.subscription.organisation.slug

    @admin.display(description="Last error")
    def last_error_short(self, obj):
        return obj.last_error[:80]

    @admin.display(description="Body sent")
    def body_sent(self, obj):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.body)

    @admin.action(description="Retry the selected failed or dead deliveries now", permissions=["retry"])
    def retry(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("subscription"):
            actor = staff_actor(request, delivery.organisation_id)
            try:
                services.delivery_retry(actor=actor, subscription_id=delivery.subscription_id, delivery_id=delivery.pk)
            except DomainError as exc:
                self.message_user(
                    request, f"{delivery.event_type} {delivery.pk}: {error_summary(exc)}", messages.WARNING
                )
                continue
            done += 1
        if done:
            self.message_user(request, f"{done} deliver{'ies' if done != 1 else 'y'} queued again.", messages.SUCCESS)
