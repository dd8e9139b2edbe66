"""points_summary: the rollups plus the deltas not folded yet plus recipients, in one query (one snapshot).

Without cost centre or department grouping, whole months come from the monthly rollup and monthly
recipients, and only the partial months at the edges of a date range from the daily ones (exact either
way: both rollups are folded from the same deltas). Grouped by month, or by business unit and month,
without a programme or country filter, whole months read their recipients already counted."""

from calendar import monthrange
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from reports.filters import POINTS_GROUPS, POINTS_MEASURES, ReportFilter, ordered_groups
from reports.selectors.stream import fetch_rows, stream_rows

ALL_DAYS = (1 << 31) - 1
# group name -> (inner expression grouped on, outer expression shown, join for the code)
_GROUPS = {
    "business_unit": ("business_unit_id", "bu.code", "LEFT JOIN users_businessunit bu ON bu.id = g.business_unit_id"),
    "cost_centre": ("cost_centre_id", "cc.code", "LEFT JOIN users_costcentre cc ON cc.id = g.cost_centre_id"),
    "country": ("NULLIF(country, '')", "g.country", ""),
    "department": ("NULLIF(department, '')", "g.department", ""),
    "programme": ("programme_id", "p.code", "LEFT JOIN points_programme p ON p.id = g.programme_id"),
    "month": ("month", "to_char(g.month, 'YYYY-MM')", ""),
}
# the columns of every part (movements and recipients alike)
_COLUMNS = (
    "day, month, programme_id, business_unit_id, cost_centre_id, country, department, awarded, reversed, redeemed,"
    " expired, wallet_entries, employee_id"
)
# the inner query's column for each group (the outer query joins ids to their codes)
_ALIASES = {name: f"{name}_id" if name in ("business_unit", "cost_centre", "programme") else name for name in _GROUPS}


def _dimension_filters(organisation_id: UUID, filters: ReportFilter) -> tuple[list[str], list]:
    where, params = ["organisation_id = %s"], [organisation_id]
    if filters.programme is not None:
        where.append("programme_id = (SELECT id FROM points_programme WHERE organisation_id = %s AND code = %s)")
        params += [organisation_id, filters.programme]
    if filters.business_unit is not None:
        where.append("business_unit_id = (SELECT id FROM users_businessunit WHERE organisation_id = %s AND code = %s)")
        params += [organisation_id, filters.business_unit]
    if filters.country is not None:
        where.append("country = %s")
        params.append(filters.country)
    return where, params


def _movements(table: str, organisation_id: UUID, filters: ReportFilter) -> tuple[str, list]:
    where, params = _dimension_filters(organisation_id, filters)
    if filters.date_from is not None:
        where.append("day >= %s")
        params.append(filters.date_from)
    if filters.date_to is not None:
        where.append("day <= %s")
        params.append(filters.date_to)
    sql = (
        "SELECT day, date_trunc('month', day::timestamp)::date, programme_id, business_unit_id, cost_centre_id,"
        " country, department, awarded, reversed,"
        f" redeemed, expired, wallet_entries, NULL::uuid AS employee_id FROM {table} WHERE {' AND '.join(where)}"
    )
    return sql, params


def _recipients(organisation_id: UUID, filters: ReportFilter) -> tuple[str, list]:
    """Employees awarded per month; at the edge months only those awarded on a day inside the range."""
    where, params = _dimension_filters(organisation_id, filters)
    mask, mask_params = "%s", [ALL_DAYS]
    if filters.date_from is not None:
        first = filters.date_from.replace(day=1)
        where.append("month >= %s")
        params.append(first)
        from_mask = ALL_DAYS & ~((1 << (filters.date_from.day - 1)) - 1)
        mask = f"({mask} & CASE WHEN month = %s THEN %s ELSE %s END)"
        mask_params += [first, from_mask, ALL_DAYS]
    if filters.date_to is not None:
        first = filters.date_to.replace(day=1)
        where.append("month <= %s")
        params.append(first)
        mask = f"({mask} & CASE WHEN month = %s THEN %s ELSE %s END)"
        mask_params += [first, (1 << filters.date_to.day) - 1, ALL_DAYS]
    where.append(f"(days::bigint & {mask}::bigint) <> 0")
    params += mask_params
    sql = (
        "SELECT month, month, programme_id, business_unit_id, cost_centre_id, country, department, 0, 0, 0, 0, 0,"
        f" employee_id FROM reports_pointsrecipient WHERE {' AND '.join(where)}"
    )
    return sql, params


def _add_month_range(where: list[str], params: list, first: date | None, last: date | None) -> None:
    """Months first..last, either end None for unbounded."""
    if first is not None:
        where.append("month >= %s")
        params.append(first)
    if last is not None:
        where.append("month <= %s")
        params.append(last)


def _whole_months(organisation_id: UUID, filters: ReportFilter, first: date | None, last: date | None):
    """The monthly rollup's and monthly recipients' parts for the months first..last (None: unbounded)."""
    where, params = _dimension_filters(organisation_id, filters)
    _add_month_range(where, params, first, last)
    condition = " AND ".join(where)
    movements = (
        "SELECT month, month, programme_id, business_unit_id, NULL::uuid, country, '', awarded, reversed, redeemed,"
        f" expired, wallet_entries, NULL::uuid FROM reports_pointsmonthly WHERE {condition}"
    )
    recipients = (
        "SELECT month, month, programme_id, business_unit_id, NULL::uuid, country, '', 0, 0, 0, 0, 0, employee_id"
        f" FROM reports_pointsmonthlyrecipient WHERE {condition}"
    )
    return (movements, params), (recipients, list(params))


def _counts_apply(groups: Sequence[str], filters: ReportFilter) -> bool:
    """Whether the recipient counts answer this grouping: by month, or by business unit and month, with no
    programme or country filter (the counts are distinct employees per month, in all or per unit)."""
    no_cell_filter = filters.programme is None and filters.country is None
    return no_cell_filter and set(groups) in ({"month"}, {"month", "business_unit"})


def _counted(organisation_id: UUID, filters: ReportFilter, by_unit: bool, first: date | None, last: date | None):
    """The recipient counts (and their unfolded deltas) of the whole months first..last: per business unit
    when the report groups or filters by one, else in all."""
    where, params = _dimension_filters(organisation_id, replace(filters, programme=None, country=None))
    where.append("by_unit = %s")
    params.append(by_unit)
    _add_month_range(where, params, first, last)
    condition = " AND ".join(where)
    sql = " UNION ALL ".join(
        f"SELECT month, business_unit_id, recipients FROM {table} WHERE {condition}"
        for table in ("reports_recipientcount", "reports_recipientcountdelta")
    )
    return sql, params + params


def _month_after(day: date) -> date | None:
    """The first day of the next month; None past the calendar's end."""
    try:
        return (day.replace(day=1) + timedelta(days=31)).replace(day=1)
    except OverflowError:
        return None


def _month_before(day: date) -> date | None:
    """The first day of the previous month; None before the calendar's start."""
    try:
        return (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    except OverflowError:
        return None


def _month_split(filters: ReportFilter) -> tuple[tuple[date | None, date | None] | None, list[ReportFilter]]:
    """(first and last whole month, or None when there is none; the filters of the partial edge months)."""
    low, high = filters.date_from, filters.date_to
    no_whole_month = False
    first = None
    if low is not None:
        first = low if low.day == 1 else _month_after(low)
        no_whole_month |= first is None
    last = None
    high_partial = high is not None and high.day != monthrange(high.year, high.month)[1]
    if high is not None:
        last = _month_before(high) if high_partial else high.replace(day=1)
        no_whole_month |= last is None
    edges = []
    if low is not None and low.day != 1:
        month_end = low.replace(day=monthrange(low.year, low.month)[1])
        edges.append(replace(filters, date_to=month_end if high is None else min(high, month_end)))
    if high_partial:
        start = high.replace(day=1) if low is None else max(low, high.replace(day=1))
        if not edges or start > edges[0].date_to:
            edges.append(replace(filters, date_from=start))
    empty = no_whole_month or (first is not None and last is not None and first > last)
    return (None if empty else (first, last)), edges


def _parts(organisation_id: UUID, groups: Sequence[str], filters: ReportFilter, with_counts: bool):
    """(movement parts, recipient parts, recipient count parts), each a list of (sql, params)."""
    movements = [_movements("reports_pointsdelta", organisation_id, filters)]
    low, high = filters.date_from, filters.date_to
    coarse = not {"cost_centre", "department"} & set(groups) and not (low and high and low > high)
    if not coarse:
        return (
            [_movements("reports_pointsdaily", organisation_id, filters), *movements],
            [_recipients(organisation_id, filters)],
            [],
        )
    whole, edges = _month_split(filters)
    recipients, counted = [], []
    if whole is not None:
        monthly, monthly_recipients = _whole_months(organisation_id, filters, *whole)
        movements.append(monthly)
        if with_counts and _counts_apply(groups, filters):
            by_unit = "business_unit" in groups or filters.business_unit is not None
            counted.append(_counted(organisation_id, filters, by_unit, *whole))
        else:
            recipients.append(monthly_recipients)
    for edge in edges:
        movements.append(_movements("reports_pointsdaily", organisation_id, edge))
        recipients.append(_recipients(organisation_id, edge))
    return movements, recipients, counted


def _union(parts: list) -> tuple[str, list]:
    params = [param for _, part_params in parts for param in part_params]
    return " UNION ALL ".join(sql for sql, _ in parts), params


def points_summary_query(
    organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, *, with_recipients: bool = True
):
    """(sql, params, columns) of the report. Without recipients (a caller that does not show them), the
    distinct count of employees, most of the query's cost, is left out and `recipients` is 0."""
    groups = ordered_groups(group_by, POINTS_GROUPS)
    movement_parts, recipient_parts, counted_parts = _parts(organisation_id, groups, filters, with_recipients)
    movements, params = _union(movement_parts)
    # month first: the monthly recipients' key order, so DISTINCT can walk its index instead of sorting
    inner_groups = sorted(groups, key=lambda name: name != "month")
    keys = [f"{_GROUPS[name][0]} AS {_ALIASES[name]}" for name in inner_groups]
    # each (group, employee) once, so counting rows with an employee counts recipients (a hash of the
    # distinct pairs instead of sorting every row for COUNT(DISTINCT)); whole months the recipient counts
    # answer come in already counted
    moved = "awarded, reversed, redeemed, expired, wallet_entries, NULL::uuid AS employee_id, 0 AS counted"
    src = f"SELECT {', '.join([*keys, moved])} FROM ({movements}) m({_COLUMNS})"
    if with_recipients and recipient_parts:
        recipients, recipient_params = _union(recipient_parts)
        params += recipient_params
        src += (
            f" UNION ALL SELECT DISTINCT {', '.join([*keys, '0, 0, 0, 0, 0, employee_id, 0'])}"
            f" FROM ({recipients}) r({_COLUMNS})"
        )
    if with_recipients and counted_parts:
        counted, counted_params = _union(counted_parts)
        params += counted_params
        src += (
            f" UNION ALL SELECT {', '.join([*keys, '0, 0, 0, 0, 0, NULL::uuid, recipients'])}"
            f" FROM ({counted}) c(month, business_unit_id, recipients)"
        )
    measures = (
        "COALESCE(SUM(awarded), 0) AS awarded, COALESCE(SUM(reversed), 0) AS reversed,"
        " COALESCE(SUM(redeemed), 0) AS redeemed, COALESCE(SUM(expired), 0) AS expired,"
        " COUNT(employee_id) + COALESCE(SUM(counted), 0) AS recipients"
    )
    inner = f"SELECT {', '.join([*[_ALIASES[name] for name in inner_groups], measures])} FROM ({src}) src"
    if groups:
        inner += f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))} HAVING SUM(wallet_entries) > 0"
    outer_groups = [_GROUPS[name][1] for name in groups]
    joins = " ".join(_GROUPS[name][2] for name in groups if _GROUPS[name][2])
    select = ", ".join([*outer_groups, *(f"g.{m}::bigint" for m in POINTS_MEASURES)])
    sql = f"SELECT {select} FROM ({inner}) g {joins}"
    if groups:
        sql += f" ORDER BY {', '.join(f'{expr} NULLS FIRST' for expr in outer_groups)}"
    return sql, params, (*groups, *POINTS_MEASURES)


def points_summary(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, with_recipients: bool = True
) -> list[dict]:
    """Points measures per group; see reports.selectors."""
    return fetch_rows(*points_summary_query(organisation_id, group_by, filters, with_recipients=with_recipients))


def points_summary_rows(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, chunk_size: int = 2000
) -> Iterator[dict]:
    """The rows of points_summary, streamed from a server-side cursor."""
    return stream_rows(*points_summary_query(organisation_id, group_by, filters), chunk_size=chunk_size)
