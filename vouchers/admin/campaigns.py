"""Campaigns and their recipients, read-only with their progress; failed campaigns can be retried."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from plum.core.admin_base import ReadOnlyAdmin, amount, grouped, staff_actor
from plum.core.jobs.admin import JobProgressAdmin
from vouchers import services
from vouchers.models import Campaign, CampaignRecipient

COUNTS = ("total", "processed", "issued", "out_of_stock", "employee_inactive", "budget_exhausted", "points_drawn")


@admin.register(Campaign)
class CampaignAdmin(JobProgressAdmin, ReadOnlyAdmin):
    # The list fits a 1400 px screen: one progress column; the outcomes one by one are on the detail page.
    list_display = ("campaign_id", "name", "organisation", "status", "progress_short", "issued_shown")
    list_display += ("points_drawn_shown", "last_error_short", "created_at")
    list_filter = ("status", "organisation")
    search_fields = ("campaign_id", "name")
    list_select_related = ("organisation",)
    fields = ("campaign_id", "name", "organisation", "product", "denomination", "programme", "expires_at")
    fields += ("status", "progress", *(f"{name}_shown" for name in COUNTS), "failures", "last_error")
    fields += ("recipients_link", "recipient_filter", "created_by", "created_at", "started_at", "completed_at")
    readonly_fields = fields
    progress_css_class = "campaign-progress"

    total_shown = amount("total", "Recipients")
    processed_shown = amount("processed", "Processed")
    issued_shown = amount("issued", "Issued")
    out_of_stock_shown = amount("out_of_stock", "Out of stock")
    employee_inactive_shown = amount("employee_inactive", "Employee inactive")
    budget_exhausted_shown = amount("budget_exhausted", "Budget exhausted")
    points_drawn_shown = amount("points_drawn", "Points drawn")

    def job_reference(self, obj):
        return obj.campaign_id

    def retry_job(self, request, job):
        services.campaign_retry(actor=staff_actor(request, job.organisation_id), campaign_uuid=job.pk)

    @admin.display(description="Last error")
    def last_error_short(self, obj):
        return Truncator(obj.last_error).chars(60) or self.get_empty_value_display()

    @admin.display(description="Recipients")
    def recipients_link(self, obj):
        url = reverse("admin:vouchers_campaignrecipient_changelist") + f"?campaign__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} recipients</a>', url, grouped(obj.total))


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(ReadOnlyAdmin):
    list_display = ("index", "employee", "status", "voucher", "processed_at", "campaign")
    list_filter = ("status",)
    search_fields = ("employee__employee_id",)
    list_select_related = ("employee", "campaign", "voucher")
    show_full_result_count = False
    ordering = ("campaign", "index")
