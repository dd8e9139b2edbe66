"""REST door of the reports: the three reports as streamed CSV."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer

from plum.api.auth import actor_of
from plum.api.openapi import problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from reports import commands, selectors
from reports.api.rest.csv import CSVRenderer
from reports.errors import ReportsError, ReportsErrorCode
from reports.exports import csv_response

FILTERS = ("from", "to", "programme", "business_unit", "country")
_FILTER_FIELDS = dict(zip(FILTERS, commands.FILTER_FIELDS, strict=True))
_NAMES = {field: name for name, field in _FILTER_FIELDS.items()}
_CODE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^\\x00]+$"}  # as commands._CODE


def _group_by_parameter(groups) -> OpenApiParameter:
    one = f"({'|'.join(groups)})"
    return OpenApiParameter(
        "group_by",
        {"type": "string", "pattern": f"^({one}(,{one})*)?$"},
        description=f"Comma-separated groups, any of: {', '.join(groups)}. Rows carry them in this order; "
        "none (or empty): one totals row.",
    )


# spectacular offers ?format= when two renderers have formats; the strict parameters refuse it (400).
NO_FORMAT = OpenApiParameter("format", exclude=True)
FILTER_PARAMETERS = [
    NO_FORMAT,
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day, inclusive (YYYY-MM-DD)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day, inclusive (YYYY-MM-DD)"),
    OpenApiParameter("programme", _CODE, description="A programme code; an unknown code answers no rows"),
    OpenApiParameter("business_unit", _CODE, description="A business unit code; unknown: no rows"),
    OpenApiParameter("country", {"type": "string", "pattern": "^[A-Z]{2}$"}, description="ISO 3166 alpha-2"),
]


def _csv(description: str) -> dict:
    return {
        (200, "text/csv"): OpenApiResponse({"type": "string"}, description=description),
        **problems(_400="validation_error"),
    }


class ReportViewSet(PlumViewSet):
    """Reports as CSV (text/csv; charset=utf-8): a header row, then one row per group."""

    http_method_names = ["get", "head", "options"]
    required_scopes = {"points": Scope.REPORTS_READ, "vouchers": Scope.REPORTS_READ, "budget": Scope.REPORTS_READ}
    renderer_classes = [JSONRenderer, CSVRenderer]
    query_parameters = {
        "points": ("group_by", *FILTERS),
        "vouchers": ("group_by", *FILTERS),
        "budget": ("programme",),
    }

    def _filters(self, request) -> commands.ReportFilter:
        values = {_FILTER_FIELDS[name]: request.query_params[name] for name in FILTERS if name in request.query_params}
        return commands.report_filter_parse(values, names=_NAMES)

    def _group_by(self, request, allowed) -> tuple[str, ...]:
        text = request.query_params.get("group_by", "")
        asked = [part for part in text.split(",")] if text else []
        return commands.group_by_parse(asked, allowed)

    @extend_schema(
        parameters=[_group_by_parameter(commands.POINTS_GROUPS), *FILTER_PARAMETERS],
        responses=_csv("Columns: the groups in group_by order, then " + ", ".join(commands.POINTS_MEASURES)),
        description="Points awarded, reversed, redeemed, expired and recipients per group (see docs/reports.md).",
    )
    @action(detail=False)
    def points(self, request):
        groups = self._group_by(request, commands.POINTS_GROUPS)
        filters = self._filters(request)
        rows = selectors.points_summary_rows(
            organisation_id=actor_of(request).organisation_id, group_by=groups, filters=filters
        )
        return csv_response("points.csv", _columns(request, groups, commands.POINTS_MEASURES), rows)

    @extend_schema(
        parameters=[_group_by_parameter(commands.VOUCHER_GROUPS), *FILTER_PARAMETERS],
        responses=_csv(
            "Columns: the groups in group_by order (currency always), then " + ", ".join(commands.VOUCHER_MEASURES)
        ),
        description="Vouchers issued in the period, by group, with how many are now redeemed, expired, cancelled.",
    )
    @action(detail=False)
    def vouchers(self, request):
        groups = self._group_by(request, commands.VOUCHER_GROUPS)
        filters = self._filters(request)
        rows = selectors.voucher_summary_rows(
            organisation_id=actor_of(request).organisation_id, group_by=groups, filters=filters
        )
        asked = _asked_order(request, groups)
        if "currency" not in asked:
            asked.append("currency")
        return csv_response("vouchers.csv", [*asked, *commands.VOUCHER_MEASURES], rows)

    @extend_schema(
        parameters=[NO_FORMAT, OpenApiParameter("programme", _CODE, required=True, description="The programme's code")],
        responses={
            (200, "text/csv"): OpenApiResponse(
                {"type": "string"}, description="Columns: " + ", ".join(commands.BUDGET_MONTH_COLUMNS)
            ),
            **problems(_400="validation_error", _404="programme_not_found"),
        },
        description="A programme's budget month by month: funded, awarded, reversed, remaining at month end.",
    )
    @action(detail=False)
    def budget(self, request):
        code = commands.programme_code_parse(request.query_params.get("programme"))
        report = selectors.budget_utilisation(organisation_id=actor_of(request).organisation_id, programme_code=code)
        if report is None:
            raise ReportsError(ReportsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {code!r}.", field="programme")
        return csv_response("budget.csv", commands.BUDGET_MONTH_COLUMNS, report["months"])


def _asked_order(request, groups) -> list[str]:
    """The groups in the order the client listed them (first mention), for the CSV's columns."""
    text = request.query_params.get("group_by", "")
    order = []
    for part in text.split(",") if text else []:
        if part in groups and part not in order:
            order.append(part)
    return order


def _columns(request, groups, measures) -> list[str]:
    return [*_asked_order(request, groups), *measures]
