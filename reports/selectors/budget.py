"""budget_utilisation: a programme's budget month by month, from the rollup plus unfolded deltas."""

import math
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connections
from django.utils import timezone

from plum.core.replica import read_with_fallback

PACE_DAYS = 90
_MONTHS = """
SELECT date_trunc('month', day)::date, SUM(funded), SUM(awarded), SUM(reversed), SUM(budget_net),
    SUM(funded - budget_net) FILTER (WHERE day > %s)
FROM (
    SELECT day, funded, awarded, reversed, budget_net FROM reports_pointsdaily
        WHERE organisation_id = %s AND programme_id = %s
    UNION ALL
    SELECT day, funded, awarded, reversed, budget_net FROM reports_pointsdelta
        WHERE organisation_id = %s AND programme_id = %s
) movements
GROUP BY 1 ORDER BY 1
"""


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def budget_utilisation(*, organisation_id: UUID, programme_code: str, now: datetime | None = None) -> dict | None:
    """A programme's budget over time; see reports.selectors. None when not the organisation's."""
    return read_with_fallback(lambda alias: _budget_utilisation(alias, organisation_id, programme_code, now))


def _budget_utilisation(alias: str, organisation_id: UUID, programme_code: str, now: datetime | None) -> dict | None:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.code, o.time_zone FROM points_programme p JOIN users_organisation o"
            " ON o.id = p.organisation_id WHERE p.organisation_id = %s AND p.code = %s",
            [organisation_id, programme_code],
        )
        found = cursor.fetchone()
        if found is None:
            return None
        programme_id, code, time_zone = found
        today = (now or timezone.now()).astimezone(ZoneInfo(time_zone)).date()
        since = today - timedelta(days=PACE_DAYS)
        cursor.execute(_MONTHS, [since, organisation_id, programme_id, organisation_id, programme_id])
        rows = cursor.fetchall()
    months, remaining, drawn_lately = [], 0, 0
    by_month = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    month = rows[0][0] if rows else None
    last = max(rows[-1][0], today.replace(day=1)) if rows else None
    while month is not None and month <= last:
        funded, awarded, reversed_, net, drawn = by_month.get(month, (0, 0, 0, 0, 0))
        remaining += net
        drawn_lately += drawn
        months.append(
            {
                "month": month.strftime("%Y-%m"),
                "funded": funded,
                "awarded": awarded,
                "reversed": reversed_,
                "remaining": remaining,
            }
        )
        month = _next_month(month)
    totals = {key: sum(m[key] for m in months) for key in ("funded", "awarded", "reversed")}
    runs_out_on = None
    if drawn_lately > 0:  # net points drawn from the budget per day over the last PACE_DAYS days
        days = math.ceil(remaining * PACE_DAYS / drawn_lately)
        # a large budget drawn slowly: the calendar's last day, rather than an overflow
        runs_out_on = date.max if days > (date.max - today).days else today + timedelta(days=days)
    return {
        "programme": code,
        "budget": totals["funded"],
        "awarded": totals["awarded"],
        "reversed": totals["reversed"],
        "remaining": remaining,
        "runs_out_on": runs_out_on,
        "months": months,
    }
