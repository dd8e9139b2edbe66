"""GraphQL door of the reports: pointsSummary, voucherSummary, budgetUtilisation (scope reports:read).
Each field is nullable: without the scope it resolves to null with an insufficient_scope error."""

import graphene

from plum.api.auth import actor_of
from plum.api.graphql.scoping import register_query_scopes
from plum.api.graphql.selection import selects
from plum.api.scopes import Scope
from reports import commands, selectors

PointsSummaryGroupBy = graphene.Enum("PointsSummaryGroupBy", [(name.upper(), name) for name in commands.POINTS_GROUPS])
VoucherSummaryGroupBy = graphene.Enum(
    "VoucherSummaryGroupBy", [(name.upper(), name) for name in commands.VOUCHER_GROUPS]
)


class ReportFilter(graphene.InputObjectType):
    """Both ends inclusive, local days of the organisation's time zone."""

    from_ = graphene.Date(name="from")
    to = graphene.Date()
    programme = graphene.String(description="A programme code; an unknown code gives no rows")
    business_unit = graphene.String(description="A business unit code; an unknown code gives no rows")
    country = graphene.String(description="ISO 3166 alpha-2")


class PointsSummaryRow(graphene.ObjectType):
    business_unit = graphene.String(description="Code; null when not grouped by it or none")
    cost_centre = graphene.String()
    country = graphene.String()
    department = graphene.String()
    programme = graphene.String(description="Code; null for spending and expiry, which pool programmes")
    month = graphene.String(description="YYYY-MM in the organisation's time zone")
    awarded = graphene.Float(required=True, description="Points credited, gross of reversals")
    reversed = graphene.Float(required=True)
    redeemed = graphene.Float(required=True, description="Spent on vouchers, net of cancellation refunds")
    expired = graphene.Float(required=True)
    recipients = graphene.Int(required=True, description="Distinct employees awarded")


class VoucherSummaryRow(graphene.ObjectType):
    brand = graphene.String()
    product = graphene.String(description="The product's id")
    business_unit = graphene.String()
    country = graphene.String()
    month = graphene.String()
    status = graphene.String(description="issued, redeemed, expired or cancelled")
    currency = graphene.String(required=True)
    issued = graphene.Int(required=True, description="Vouchers issued in the period, whatever their status now")
    redeemed = graphene.Int(required=True)
    expired = graphene.Int(required=True)
    cancelled = graphene.Int(required=True)
    face_value = graphene.String(required=True, description="Decimal string, in `currency`")
    points = graphene.Float(required=True)


class BudgetMonth(graphene.ObjectType):
    month = graphene.String(required=True)
    funded = graphene.Float(required=True)
    awarded = graphene.Float(required=True)
    reversed = graphene.Float(required=True)
    remaining = graphene.Float(required=True, description="At the month's end")


class BudgetUtilisation(graphene.ObjectType):
    programme = graphene.String(required=True)
    budget = graphene.Float(required=True, description="Total funded")
    awarded = graphene.Float(required=True)
    reversed = graphene.Float(required=True)
    remaining = graphene.Float(required=True, description="Equals the programme's budget_balance")
    runs_out_on = graphene.Date(description="At the last 90 days' net pace; null when the budget is not drawn")
    months = graphene.List(graphene.NonNull(BudgetMonth), required=True)


_FILTER_NAMES = {
    "date_from": "filter.from",
    "date_to": "filter.to",
    "programme": "filter.programme",
    "business_unit": "filter.businessUnit",
    "country": "filter.country",
}


def _filters(value) -> commands.ReportFilter:
    value = value or {}
    data = {
        "date_from": value.get("from_"),
        "date_to": value.get("to"),
        "programme": value.get("programme"),
        "business_unit": value.get("business_unit"),
        "country": value.get("country"),
    }
    return commands.report_filter_parse(data, names=_FILTER_NAMES)


def _groups(values) -> list[str]:
    return [getattr(value, "value", value) for value in values or ()]


class ReportsQuery(graphene.ObjectType):
    points_summary = graphene.List(
        graphene.NonNull(PointsSummaryRow),
        group_by=graphene.List(graphene.NonNull(PointsSummaryGroupBy)),
        filter=ReportFilter(),
        description="One row per group with activity; no groupBy: one totals row. Needs reports:read.",
    )
    voucher_summary = graphene.List(
        graphene.NonNull(VoucherSummaryRow),
        group_by=graphene.List(graphene.NonNull(VoucherSummaryGroupBy)),
        filter=ReportFilter(),
        description="Vouchers issued in the period; currency always a column. Needs reports:read.",
    )
    budget_utilisation = graphene.Field(
        BudgetUtilisation, programme=graphene.String(required=True), description="Needs reports:read."
    )

    def resolve_points_summary(root, info, group_by=None, filter=None):
        filters = _filters(filter)
        rows = selectors.points_summary(
            organisation_id=actor_of(info).organisation_id,
            group_by=_groups(group_by),
            filters=filters,
            with_recipients=selects(info, "recipients"),
        )
        return [PointsSummaryRow(**row) for row in rows]

    def resolve_voucher_summary(root, info, group_by=None, filter=None):
        filters = _filters(filter)
        rows = selectors.voucher_summary(
            organisation_id=actor_of(info).organisation_id, group_by=_groups(group_by), filters=filters
        )
        return [VoucherSummaryRow(**{**row, "face_value": format(row["face_value"], "f")}) for row in rows]

    def resolve_budget_utilisation(root, info, programme):
        code = commands.programme_code_parse(programme)
        report = selectors.budget_utilisation(organisation_id=actor_of(info).organisation_id, programme_code=code)
        if report is None:
            return None  # another organisation's programme does not exist here
        return BudgetUtilisation(**{**report, "months": [BudgetMonth(**m) for m in report["months"]]})


register_query_scopes(
    {
        "pointsSummary": Scope.REPORTS_READ,
        "voucherSummary": Scope.REPORTS_READ,
        "budgetUtilisation": Scope.REPORTS_READ,
    }
)
