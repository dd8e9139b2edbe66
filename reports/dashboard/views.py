"""The dashboard page and its CSV downloads, for signed-in staff (reports/admin.py wraps them in the admin's
login and permission checks). The CSVs are the same as the API's `/api/v1/reports/*.csv` for the same
range, streamed from the reports' selectors through the same CSV writer (reports.exports), so the links work
from a staff session without a token."""

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from reports import selectors as reports
from reports.commands import POINTS_MEASURES, VOUCHER_MEASURES, ReportFilter
from reports.dashboard import panels
from reports.dashboard.forms import DateRangeForm, quick_ranges
from reports.dashboard.selectors import programme_codes
from reports.exports import csv_response
from users.models import Organisation

POINTS_CSV_GROUPS = ("business_unit", "month")
VOUCHER_CSV_GROUPS = ("brand", "month", "currency")
BUDGET_COLUMNS = ("month", "funded", "awarded", "reversed", "remaining")


def organisation_today(organisation: Organisation):
    return datetime.now(ZoneInfo(getattr(organisation, "time_zone", "") or "UTC")).date()


def dashboard(request, organisation_id, *, admin_context: dict):
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    today = organisation_today(organisation)
    form = DateRangeForm(request.GET, today=today)
    window = form.date_range()
    query = window.query()
    context = {
        **admin_context,
        "title": f"Dashboard: {organisation.name}",
        "organisation": organisation,
        "form": form,
        "window": window,
        "quick_ranges": [(label, r.query(), r == window) for label, r in quick_ranges(today)],
        "panels": panels.build(organisation, window, today),
        "csv_links": [
            ("Points by business unit and month", csv_url(organisation, "points", query)),
            ("Vouchers by brand, month and currency", csv_url(organisation, "vouchers", query)),
        ]
        + [
            (f"Budget of {code} by month", csv_url(organisation, "budget", urlencode({"programme": code})))
            for code in programme_codes(organisation=organisation)
        ],
    }
    return TemplateResponse(request, "admin/reports/dashboard.html", context)


def csv_url(organisation: Organisation, report: str, query: str) -> str:
    return reverse("admin:reports_dashboard_csv", args=[organisation.pk, report]) + "?" + query


def csv_download(request, organisation_id, report: str):
    """points.csv and vouchers.csv for the range in `from`/`to`; budget.csv for `programme`."""
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    form = DateRangeForm(request.GET, today=organisation_today(organisation))
    if not form.is_valid():  # a file must hold what was asked for: no quiet fallback to the default range
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    window = form.date_range()
    filters = ReportFilter(date_from=window.date_from, date_to=window.date_to)
    name = f"{organisation.slug}-{report}-{window.date_from.isoformat()}-{window.date_to.isoformat()}.csv"
    if report == "points":
        header = (*POINTS_CSV_GROUPS, *POINTS_MEASURES)
        rows = reports.points_summary_rows(organisation_id=organisation.pk, group_by=POINTS_CSV_GROUPS, filters=filters)
    elif report == "vouchers":
        header = (*VOUCHER_CSV_GROUPS, *VOUCHER_MEASURES)
        rows = reports.voucher_summary_rows(
            organisation_id=organisation.pk, group_by=VOUCHER_CSV_GROUPS, filters=filters
        )
    elif report == "budget":
        code = request.GET.get("programme", "")
        usage = reports.budget_utilisation(organisation_id=organisation.pk, programme_code=code) if code else None
        if usage is None:
            raise Http404("No such programme.")
        header, rows = BUDGET_COLUMNS, iter(usage["months"])
        name = f"{organisation.slug}-budget-{code}.csv"
    else:
        raise Http404("No such report.")
    return csv_response(name, header, rows)
