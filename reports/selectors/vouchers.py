"""voucher_summary: the cohort of vouchers issued in the period, from the voucher facts."""

from collections.abc import Iterator, Sequence
from uuid import UUID

from reports.filters import VOUCHER_GROUPS, VOUCHER_MEASURES, ReportFilter, ordered_groups
from reports.selectors.stream import fetch_rows, stream_rows

# group name -> (expression on the facts, the join it needs)
_GROUPS = {
    "brand": ("b.name", "JOIN vouchers_brand b ON b.id = f.brand_id"),
    "product": ("f.product_id::text", ""),
    "business_unit": ("bu.code", "LEFT JOIN users_businessunit bu ON bu.id = f.business_unit_id"),
    "country": ("NULLIF(f.country, '')", ""),
    "month": ("to_char(f.day, 'YYYY-MM')", ""),
    "status": ("f.status", ""),
    "currency": ("f.currency", ""),
}
_MEASURES = (
    "COUNT(*) AS issued",
    "COUNT(*) FILTER (WHERE f.status = 'redeemed') AS redeemed",
    "COUNT(*) FILTER (WHERE f.status = 'expired') AS expired",
    "COUNT(*) FILTER (WHERE f.status = 'cancelled') AS cancelled",
    "SUM(f.face_value) AS face_value",
    "SUM(f.points)::bigint AS points",
)


def voucher_summary_query(organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter):
    """(sql, params, columns). Currency is always grouped: face values of different currencies never add."""
    groups = ordered_groups([*group_by, "currency"], VOUCHER_GROUPS)
    where, params = ["f.organisation_id = %s"], [organisation_id]
    if filters.date_from is not None:
        where.append("f.day >= %s")
        params.append(filters.date_from)
    if filters.date_to is not None:
        where.append("f.day <= %s")
        params.append(filters.date_to)
    if filters.programme is not None:
        where.append("f.programme_id = (SELECT id FROM points_programme WHERE organisation_id = %s AND code = %s)")
        params += [organisation_id, filters.programme]
    if filters.business_unit is not None:
        where.append(
            "f.business_unit_id = (SELECT id FROM users_businessunit WHERE organisation_id = %s AND code = %s)"
        )
        params += [organisation_id, filters.business_unit]
    if filters.country is not None:
        where.append("f.country = %s")
        params.append(filters.country)
    expressions = [_GROUPS[name][0] for name in groups]
    joins = " ".join(_GROUPS[name][1] for name in groups if _GROUPS[name][1])
    positions = ", ".join(str(i + 1) for i in range(len(groups)))
    sql = (
        f"SELECT {', '.join([*expressions, *_MEASURES])} FROM reports_voucherfact f {joins}"
        f" WHERE {' AND '.join(where)} GROUP BY {positions} ORDER BY {positions}"
    )
    return sql, params, (*groups, *VOUCHER_MEASURES)


def voucher_summary(*, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter) -> list[dict]:
    """Voucher measures per group for the vouchers issued in the period; see reports.selectors."""
    return fetch_rows(*voucher_summary_query(organisation_id, group_by, filters))


def voucher_summary_rows(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, chunk_size: int = 2000
) -> Iterator[dict]:
    """The rows of voucher_summary, streamed from a server-side cursor."""
    return stream_rows(*voucher_summary_query(organisation_id, group_by, filters), chunk_size=chunk_size)
