"""Reports' reads, scoped to one organisation, every query on `reporting_database()`.

Points come from the rollup (`reports_pointsdaily`) plus the deltas not folded yet (`reports_pointsdelta`),
so a report is exact the moment a credit commits. Rows are plain dicts keyed by the snake_case group
names (in API order) followed by the measures; group values are codes (business unit, cost centre,
programme), the department text, the country's alpha-2 and months as "YYYY-MM" in the organisation's
time zone.

Signatures (stable; the dashboard and the benchmarks build on them):

- points_summary(*, organisation_id, group_by, filters) -> list[dict]
    group_by: any subset of POINTS_GROUPS ("business_unit", "cost_centre", "country", "department",
    "programme", "month"); rows carry the group keys (in POINTS_GROUPS order, whatever the order asked)
    and the measures POINTS_MEASURES: awarded, reversed, redeemed, expired, recipients. No group_by: one
    totals row (always present, zeros when nothing happened). Otherwise one row per group with activity,
    ordered by the group keys.
- points_summary_rows(*, organisation_id, group_by, filters, chunk_size=2000) -> Iterator[dict]
    the same rows streamed from a server-side cursor (CSV exports).
- voucher_summary(*, organisation_id, group_by, filters) -> list[dict]
    group_by: subset of VOUCHER_GROUPS ("brand", "product", "business_unit", "country", "month",
    "status", "currency"); currency is always a column. Measures VOUCHER_MEASURES: issued, redeemed,
    expired, cancelled, face_value (Decimal), points. The cohort is the vouchers ISSUED in the period.
- voucher_summary_rows(...) -> Iterator[dict]: streamed.
- budget_utilisation(*, organisation_id, programme_code) -> dict | None
    {"programme", "budget", "awarded", "reversed", "remaining", "runs_out_on" (date | None),
     "months": [{"month", "funded", "awarded", "reversed", "remaining"}]}; None when the programme is
    not the organisation's.

`ReportFilter` (reports.commands) is a frozen dataclass: date_from, date_to (dates, inclusive, in the
organisation's time zone), programme, business_unit (codes), country (alpha-2). A filter naming a
programme or business unit the organisation does not have gives an empty result (no rows; the totals
row of zeros when ungrouped), never an error: a report must not reveal which codes exist elsewhere.
"""

from reports.filters import (
    POINTS_GROUPS,
    POINTS_MEASURES,
    VOUCHER_GROUPS,
    VOUCHER_MEASURES,
    ReportFilter,
)
from reports.selectors.budget import budget_utilisation
from reports.selectors.points import points_summary, points_summary_rows
from reports.selectors.vouchers import voucher_summary, voucher_summary_rows

__all__ = [
    "POINTS_GROUPS",
    "POINTS_MEASURES",
    "VOUCHER_GROUPS",
    "VOUCHER_MEASURES",
    "ReportFilter",
    "budget_utilisation",
    "points_summary",
    "points_summary_rows",
    "voucher_summary",
    "voucher_summary_rows",
]
