"""What each panel of the dashboard shows, from the reports' selectors (and the dashboard's own for rules and
sources), drawn as SVG. Plain values in (an organisation, a date range), plain values and markup out."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.utils.safestring import SafeString, mark_safe

from reports import selectors as reports
from reports.commands import ReportFilter
from reports.dashboard import selectors
from reports.dashboard.burndown import BudgetPoint, burn_down
from reports.dashboard.charts import Series, horizontal_bars, stacked_bars
from reports.dashboard.forms import DateRange, months_back
from reports.dashboard.svg import grouped
from users.models import Organisation

MOST_UNITS = 8  # a ninth colour and more would be hard to tell apart: the rest are summed as OTHER_UNITS
OTHER_UNITS = "Other units"
NO_UNIT = "No business unit"
MOST_ROWS = 10


@dataclass
class Budget:
    code: str
    budget: int
    remaining: int
    runs_out_on: date | None
    chart: SafeString

    @property
    def budget_shown(self) -> str:
        return grouped(self.budget)

    @property
    def remaining_shown(self) -> str:
        return grouped(self.remaining)


@dataclass
class Dashboard:
    totals: dict
    awarded_chart: SafeString
    redeemed_chart: SafeString
    vouchers: dict
    brands_chart: SafeString
    budgets: list[Budget]
    rules_chart: SafeString
    sources_chart: SafeString
    channels: list = field(default_factory=list)

    @property
    def figures(self) -> list[tuple[str, str, str]]:
        """The key figures over the panels: (id, the number written out, what it counts)."""
        return [
            ("awarded", grouped(self.totals["awarded"]), "points awarded"),
            ("redeemed", grouped(self.totals["redeemed"]), "points redeemed"),
            ("recipients", grouped(self.totals["recipients"]), "people awarded"),
            ("vouchers-issued", grouped(self.vouchers["issued"]), "vouchers issued"),
            ("vouchers-redeemed", grouped(self.vouchers["redeemed"]), "vouchers redeemed"),
        ]


def unit_series(rows: list[dict], months: list[str]) -> tuple[list[Series], list[Series]]:
    """Awarded and redeemed per business unit and month: the busiest units first, each the same colour in both
    charts, past MOST_UNITS the rest summed as one."""
    awarded, redeemed, activity = defaultdict(dict), defaultdict(dict), defaultdict(int)
    for row in rows:
        unit = row["business_unit"] or NO_UNIT
        awarded[unit][row["month"]] = awarded[unit].get(row["month"], 0) + row["awarded"]
        redeemed[unit][row["month"]] = redeemed[unit].get(row["month"], 0) + row["redeemed"]
        activity[unit] += row["awarded"] + row["redeemed"]
    ranked = sorted((unit for unit in activity if activity[unit]), key=lambda unit: (-activity[unit], unit))
    shown, rest = ranked[:MOST_UNITS], ranked[MOST_UNITS:]
    if len(rest) == 1:  # an "other" of one unit may as well be named
        shown, rest = ranked, []

    def series(measure: dict) -> list[Series]:
        drawn = [
            Series(unit, tuple(measure[unit].get(m, 0) for m in months), index) for index, unit in enumerate(shown)
        ]
        if rest:
            other = tuple(sum(measure[unit].get(m, 0) for unit in rest) for m in months)
            drawn.append(Series(OTHER_UNITS, other, len(shown)))
        return drawn

    return series(awarded), series(redeemed)


def brand_counts(rows: list[dict]) -> list[tuple[str, int, int]]:
    """(brand, issued, redeemed) with a brand's currencies added up (counts add, face values would not)."""
    issued, redeemed = defaultdict(int), defaultdict(int)
    for row in rows:
        issued[row["brand"]] += row["issued"]
        redeemed[row["brand"]] += row["redeemed"]
    ranked = sorted(issued, key=lambda brand: (-issued[brand], brand))[:MOST_ROWS]
    return [(brand, issued[brand], redeemed[brand]) for brand in ranked]


def budget_points(months: list[dict], window: DateRange, today: date) -> list[BudgetPoint]:
    """What remained at the end of each month that overlaps the window (today for the current month)."""
    points = []
    for month in months:
        year, number = (int(part) for part in month["month"].split("-"))
        first = date(year, number, 1)
        last = date.fromordinal(months_back(first, -1).toordinal() - 1)
        if first <= window.date_to and last >= window.date_from and first <= today:
            points.append(BudgetPoint(min(last, today), month["remaining"]))
    return points


def build(organisation: Organisation, window: DateRange, today: date) -> Dashboard:
    months = window.months()
    filters = ReportFilter(date_from=window.date_from, date_to=window.date_to)
    org = organisation.id
    totals = reports.points_summary(organisation_id=org, group_by=[], filters=filters)[0]
    by_unit = reports.points_summary(organisation_id=org, group_by=["business_unit", "month"], filters=filters)
    awarded, redeemed = unit_series(by_unit, months)
    brand_rows = reports.voucher_summary(organisation_id=org, group_by=["brand"], filters=filters)
    brands = brand_counts(brand_rows)
    vouchers = {
        "issued": sum(row["issued"] for row in brand_rows),
        "redeemed": sum(row["redeemed"] for row in brand_rows),
    }
    span = dict(date_from=window.date_from, date_to=window.date_to, organisation=organisation)
    rules = selectors.top_rules(**span, limit=MOST_ROWS)
    sources = selectors.top_sources(**span, limit=MOST_ROWS)
    return Dashboard(
        totals=totals,
        awarded_chart=_safe(
            stacked_bars(
                chart_id="awarded",
                heading="Points awarded by business unit and month",
                categories=months,
                series=awarded,
                y_label="Points awarded",
            )
        ),
        redeemed_chart=_safe(
            stacked_bars(
                chart_id="redeemed",
                heading="Points redeemed by business unit and month",
                categories=months,
                series=redeemed,
                y_label="Points redeemed",
            )
        ),
        vouchers=vouchers,
        brands_chart=_safe(
            horizontal_bars(
                chart_id="brands",
                heading="Vouchers issued and redeemed by brand",
                labels=[b[0] for b in brands],
                series=[
                    Series("Issued", tuple(b[1] for b in brands), 0),
                    Series("Redeemed", tuple(b[2] for b in brands), 4),
                ],
                x_label="Vouchers",
                unit="vouchers",
            )
        ),
        budgets=[_budget(org, code, window, today) for code in selectors.programme_codes(organisation=organisation)],
        rules_chart=_ranked_chart("rules", "Top reward rules by points credited", rules),
        sources_chart=_ranked_chart("sources", "Top sources by points credited", sources),
        channels=[
            {"name": c.name, "requests_shown": grouped(c.requests), "points_shown": grouped(c.points)}
            for c in selectors.channels(**span)
        ],
    )


def _budget(organisation_id, code: str, window: DateRange, today: date) -> Budget:
    usage = reports.budget_utilisation(organisation_id=organisation_id, programme_code=code)
    chart = burn_down(
        chart_id=f"budget-{code}",
        heading=f"Budget of {code}: points remaining",
        points=budget_points(usage["months"], window, today),
        runs_out_on=usage["runs_out_on"],
    )
    return Budget(code, usage["budget"], usage["remaining"], usage["runs_out_on"], _safe(chart))


def _ranked_chart(chart_id: str, heading: str, ranked: list[selectors.Ranked]) -> SafeString:
    return _safe(
        horizontal_bars(
            chart_id=chart_id,
            heading=heading,
            labels=[r.name for r in ranked],
            series=[Series("Points credited", tuple(r.points for r in ranked), 0)],
            x_label="Points credited",
            unit="points",
        )
    )


def _safe(markup: str) -> SafeString:
    # The chart functions escape every text they are given (reports/dashboard/svg.py).
    return mark_safe(markup)  # noqa: S308
