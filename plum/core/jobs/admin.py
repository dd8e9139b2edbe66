"""Staff follow a job's progress and retry a failed one: one mixin for every kind's ModelAdmin.

class CampaignAdmin(JobProgressAdmin, ReadOnlyAdmin):
    progress_css_class = "campaign-progress"
    list_display = (..., "progress_short", ...)        # or "percent"
    readonly_fields = (..., "progress", ...)

    def retry_job(self, request, job):                 # a write: the app's service
        services.campaign_retry(actor=staff_actor(request, job.organisation_id), campaign_uuid=job.pk)
"""

from django.contrib import admin, messages
from django.utils.html import format_html

from plum.core.admin_base import grouped


class JobProgressAdmin:
    actions = ("retry",)
    progress_css_class = "job-progress"

    def progress_detail(self, obj) -> str:
        """Text after "n of m processed" on the detail page (a kind's own counters), or ""."""
        return ""

    def job_reference(self, obj) -> str:
        """How a message names the job."""
        return str(obj)

    def retry_job(self, request, job) -> None:
        raise NotImplementedError  # the app's retry service, with a staff actor

    @admin.display(description="Progress")
    def progress(self, obj):
        return format_html(
            '<progress max="{}" value="{}"></progress> <span class="{}">{}% · {} of {} processed{}</span>',
            obj.total,
            obj.processed,
            self.progress_css_class,
            obj.percent,
            grouped(obj.processed),
            grouped(obj.total),
            self.progress_detail(obj),
        )

    @admin.display(description="Progress")
    def percent(self, obj):
        return f"{obj.percent}%"

    @admin.display(description="Progress", ordering="processed")
    def progress_short(self, obj):
        return f"{obj.percent}% · {grouped(obj.processed)} of {grouped(obj.total)}"

    def get_actions(self, request):
        # A retry is a write: offered to staff who may change the jobs, although the form is read-only.
        actions = super().get_actions(request)
        meta = self.model._meta
        if not request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
            actions.pop("retry", None)
        return actions

    @admin.action(description="Retry the selected failed %(verbose_name_plural)s")
    def retry(self, request, queryset):
        for job in queryset.order_by("created_at"):
            if job.status != "failed":
                self.message_user(request, f"{self.job_reference(job)}: not failed, left as it is.", messages.WARNING)
                continue
            self.retry_job(request, job)
            self.message_user(request, f"{self.job_reference(job)}: queued again.", messages.SUCCESS)
