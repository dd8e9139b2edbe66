"""points_summary: the rollup plus the deltas not folded yet plus recipients, in one query (one snapshot)."""

from collections.abc import Iterator, Sequence
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
    "month": ("to_char(day, 'YYYY-MM')", "g.month", ""),
}
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
        "SELECT day, programme_id, business_unit_id, cost_centre_id, country, department, awarded, reversed,"
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
        "SELECT month, programme_id, business_unit_id, cost_centre_id, country, department, 0, 0, 0, 0, 0,"
        f" employee_id FROM reports_pointsrecipient WHERE {' AND '.join(where)}"
    )
    return sql, params


def points_summary_query(organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter):
    """(sql, params, columns) of the report."""
    groups = ordered_groups(group_by, POINTS_GROUPS)
    parts, params = [], []
    for sql, part_params in (
        _movements("reports_pointsdaily", organisation_id, filters),
        _movements("reports_pointsdelta", organisation_id, filters),
        _recipients(organisation_id, filters),
    ):
        parts.append(sql)
        params += part_params
    inner_groups = [f"{_GROUPS[name][0]} AS {_ALIASES[name]}" for name in groups]
    measures = (
        "COALESCE(SUM(awarded), 0) AS awarded, COALESCE(SUM(reversed), 0) AS reversed,"
        " COALESCE(SUM(redeemed), 0) AS redeemed, COALESCE(SUM(expired), 0) AS expired,"
        " COUNT(DISTINCT employee_id) AS recipients"
    )
    inner = f"SELECT {', '.join([*inner_groups, measures])} FROM ({' UNION ALL '.join(parts)}) src"
    if groups:
        inner += f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))} HAVING SUM(wallet_entries) > 0"
    outer_groups = [_GROUPS[name][1] for name in groups]
    joins = " ".join(_GROUPS[name][2] for name in groups if _GROUPS[name][2])
    select = ", ".join([*outer_groups, *(f"g.{m}::bigint" for m in POINTS_MEASURES)])
    sql = f"SELECT {select} FROM ({inner}) g {joins}"
    if groups:
        sql += f" ORDER BY {', '.join(f'{expr} NULLS FIRST' for expr in outer_groups)}"
    return sql, params, (*groups, *POINTS_MEASURES)


def points_summary(*, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter) -> list[dict]:
    """Points measures per group; see reports.selectors."""
    return fetch_rows(*points_summary_query(organisation_id, group_by, filters))


def points_summary_rows(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, chunk_size: int = 2000
) -> Iterator[dict]:
    """The rows of points_summary, streamed from a server-side cursor."""
    return stream_rows(*points_summary_query(organisation_id, group_by, filters), chunk_size=chunk_size)
