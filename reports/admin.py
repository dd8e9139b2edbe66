"""The reports in the operations staff's admin: each organisation's dashboard (charts from the rollups, a date
range, CSV downloads) and the reconciliation's findings, read-only. Nothing here writes."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html

from plum.core.admin_base import ReadOnlyAdmin
from reports.dashboard import views
from reports.dashboard.models import Dashboard
from reports.models import ReconciliationIssue


@admin.register(Dashboard)
class DashboardAdmin(ReadOnlyAdmin):
    """The change list is the organisations, each linking to its dashboard at `<uuid>/`."""

    list_display = ("name", "slug", "is_active", "open_dashboard")
    list_display_links = None
    list_filter = ("is_active",)
    search_fields = ("slug", "name")

    @admin.display(description="Dashboard")
    def open_dashboard(self, obj):
        return format_html('<a href="{}">Open dashboard</a>', reverse("admin:reports_dashboard", args=[obj.pk]))

    def get_urls(self):
        guarded = self.admin_site.admin_view
        return [
            path("<uuid:organisation_id>/", guarded(self.dashboard_view), name="reports_dashboard"),
            path("<uuid:organisation_id>/<slug:report>.csv", guarded(self.csv_view), name="reports_dashboard_csv"),
            *super().get_urls(),
        ]

    def _check(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def dashboard_view(self, request, organisation_id):
        self._check(request)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        return views.dashboard(request, organisation_id, admin_context=context)

    def csv_view(self, request, organisation_id, report):
        self._check(request)
        return views.csv_download(request, organisation_id, report)


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(ReadOnlyAdmin):
    """The reconciliation's findings: written by reports.services.reconcile only, never edited or deleted here
    (a finding is evidence; it goes away with a rebuild, not a click)."""

    list_display = ("detected_at", "organisation", "area", "key", "expected", "found")
    list_filter = ("area", ("organisation", admin.RelatedOnlyFieldListFilter), "detected_at")
    list_select_related = ("organisation",)
    search_fields = ("key", "organisation__slug")
    date_hierarchy = "detected_at"
