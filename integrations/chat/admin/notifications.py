"""Slack and Teams notifications for operations staff, read-only: state, attempts, the last answer and error,
filtered by state, event type, channel kind and channel."""

from django.contrib import admin

from integrations.chat import selectors
from integrations.chat.commands import EVENT_TYPES
from integrations.chat.messages.templates import TEST_EVENT
from integrations.chat.models import Notification
from plum.core.admin_base import ReadOnlyAdmin


class EventTypeFilter(admin.SimpleListFilter):
    title, parameter_name = "event type", "event_type"

    def lookups(self, request, model_admin):
        return [(kind, kind) for kind in (*EVENT_TYPES, TEST_EVENT)]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "state", "attempts", "last_status_code", "last_error_short", "channel")
    list_display += ("organisation_slug", "next_attempt_at", "created_at", "sent_at")
    list_filter = ("state", EventTypeFilter, "channel__kind", "channel")
    search_fields = ("event_id",)
    list_select_related = ("channel__organisation",)
    show_full_result_count = False
    ordering = ("-created_at",)
    fields = ("id", "event_id", "event_type", "channel", "organisation_slug", "state", "attempts")
    fields += ("last_status_code", "last_error", "next_attempt_at", "created_at", "sent_at", "message_ref", "data")
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.notification_admin_list()

    @admin.display(description="Organisation")
    def organisation_slug(self, obj):
        return obj.channel.organisation.slug

    @admin.display(description="Last error")
    def last_error_short(self, obj):
        return obj.last_error[:80]
