"""Campaigns and their recipients, read-only with their progress; failed campaigns can be retried."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from users.admin import ReadOnlyAdmin, staff_actor
from vouchers import services
from vouchers.admin.common import permitted_actions
from vouchers.models import Campaign, CampaignRecipient

COUNTS = ("total", "processed", "issued", "out_of_stock", "employee_inactive", "budget_exhausted", "points_drawn")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("campaign_id", "name", "organisation", "status", *COUNTS, "last_error", "created_at")
    list_filter = ("status", "organisation")
    search_fields = ("campaign_id", "name")
    list_select_related = ("organisation",)
    fields = ("campaign_id", "name", "organisation", "product", "denomination", "programme", "expires_at")
    fields += ("status", "progress", *COUNTS, "failures", "last_error", "recipients_link", "recipient_filter")
    fields += ("created_by", "created_at", "started_at", "completed_at")
    readonly_fields = fields
    actions = ("retry",)

    def get_actions(self, request):
        return permitted_actions(request, super().get_actions(request), "vouchers.change_campaign", self.actions)

    @admin.display(description="Progress")
    def progress(self, obj):
        percent = 100 * obj.processed // obj.total if obj.total else 100
        return format_html(
            '<progress max="{}" value="{}"></progress> <span class="campaign-progress">{}% · {} of {} processed</span>',
            obj.total,
            obj.processed,
            percent,
            obj.processed,
            obj.total,
        )

    @admin.display(description="Recipients")
    def recipients_link(self, obj):
        url = reverse("admin:vouchers_campaignrecipient_changelist") + f"?campaign__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} recipients</a>', url, obj.total)

    @admin.action(description="Retry the selected failed campaigns")
    def retry(self, request, queryset):
        for campaign in queryset.order_by("created_at"):
            if campaign.status != Campaign.Status.FAILED:
                self.message_user(request, f"{campaign.campaign_id}: not failed, left as it is.", messages.WARNING)
                continue
            services.campaign_retry(actor=staff_actor(request, campaign.organisation_id), campaign_uuid=campaign.pk)
            self.message_user(request, f"{campaign.campaign_id}: queued again.", messages.SUCCESS)


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(ReadOnlyAdmin):
    list_display = ("index", "employee", "status", "voucher", "processed_at", "campaign")
    list_filter = ("status",)
    search_fields = ("employee__employee_id",)
    list_select_related = ("employee", "campaign", "voucher")
    show_full_result_count = False
    ordering = ("campaign", "index")
