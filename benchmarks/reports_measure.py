"""The measuring half of reports_summary, run in a process of its own (so the peak RSS growth of the CSV is the
CSV's, not the data generator's): python -m benchmarks.reports_measure SLUG CALLS BASE_CALLS SQL_CALLS.
Prints one JSON document on its last line."""

import json
import resource
import sys
import time

from benchmarks.common import setup_django
from benchmarks.httpbench import percentile, token

QUERY = (
    "{ pointsSummary(groupBy: [BUSINESS_UNIT, MONTH])"
    " { businessUnit month awarded redeemed expired reversed recipients } }"
)
# The same report without `recipients`: the distinct count of employees is then not computed.
QUERY_WITHOUT_RECIPIENTS = QUERY.replace(" recipients }", " }")
CSV_GROUPS = "month,business_unit,cost_centre,country,department,programme"
MEASURES = ("awarded", "reversed", "redeemed", "expired")


def _timed(call, calls: int, warm_up: int = 3) -> dict:
    for _ in range(warm_up):
        call()
    wall = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        wall.append((time.perf_counter() - started) * 1000)
    wall.sort()
    return {"calls": calls, "p50_ms": percentile(wall, 50), "p95_ms": percentile(wall, 95), "max_ms": wall[-1]}


def _csv(client) -> dict:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    answer = client.get(f"/api/v1/reports/points.csv?group_by={CSV_GROUPS}")
    if answer.status_code != 200:
        return {"status": answer.status_code, "body": answer.content[:300].decode(errors="replace")}
    lines = size = 0
    for chunk in answer.streaming_content if answer.streaming else [answer.content]:
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {
        "group_by": CSV_GROUPS,
        "streamed": answer.streaming,
        "rows": lines - 1,
        "bytes": size,
        "seconds": seconds,
        "peak_rss_growth_mib": growth_kib / 1024,
    }


def _compare(report: list[dict], base: list[dict]) -> dict:
    """Per month the measures must agree (a mover changes the business unit, never the month's total);
    per business unit and month they differ only where movers' history sits."""

    def by_month(rows):
        totals = {}
        for row in rows:
            month = totals.setdefault(row["month"], dict.fromkeys(MEASURES, 0))
            for m in MEASURES:
                month[m] += int(row[m])
        return totals

    keyed = lambda rows: {(r["businessUnit"], r["month"]): tuple(int(r[m]) for m in MEASURES) for r in rows}  # noqa: E731
    report_groups, base_groups = keyed(report), keyed(base)
    differing = sum(1 for k in report_groups.keys() | base_groups.keys() if report_groups.get(k) != base_groups.get(k))
    return {
        "report_rows": len(report),
        "base_rows": len(base),
        "months_agree": by_month(report) == by_month(base),
        "groups_differing": differing,
    }


def _rollup_sizes(organisation_id) -> dict:
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in (
            "reports_pointsdaily",
            "reports_pointsmonthly",
            "reports_pointsdelta",
            "reports_pointsrecipient",
            "reports_pointsmonthlyrecipient",
            "reports_entrydimension",
        ):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE organisation_id = %s", [organisation_id])
            sizes[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM points_ledgerentry e JOIN points_account a ON a.id = e.account_id"
            " WHERE a.organisation_id = %s",
            [organisation_id],
        )
        sizes["points_ledgerentry"] = cursor.fetchone()[0]
    return sizes


def _vacuum() -> None:
    """Both sides read tables as autovacuum leaves them after a load: visibility map set (index-only scans),
    statistics current, the folded deltas' dead rows gone."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "reports_pointsdelta",
            "reports_pointsmonthly",
            "reports_pointsmonthlyrecipient",
            "reports_pointsdaily",
            "reports_pointsrecipient",
            "points_ledgerentry",
            "points_ledgertransaction",
            "points_account",
            "users_employee",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _explain(sql: str, params: list) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _sql_call(sql: str, params: list):
    from django.db import connection

    def call():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return call


def measure(slug: str, calls: int, base_calls: int, sql_calls: int) -> dict:
    setup_django()
    from django.test import Client
    from django.test.utils import override_settings

    from benchmarks.reports_urls import BASE_SQL
    from users.models import ApiClient, Organisation

    organisation = Organisation.objects.get(slug=slug)
    _vacuum()

    class Issued:
        client = ApiClient.objects.filter(organisation=organisation, name="bench-reports").first()

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token(Issued, 'reports:read')}")
    out = {"csv": _csv(client)}

    def report_call(query=QUERY):
        answer = client.post("/graphql/", json.dumps({"query": query}), content_type="application/json")
        body = answer.json()
        if answer.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"pointsSummary answered {answer.status_code}: {str(body)[:300]}")
        return body["data"]["pointsSummary"]

    def base_call():
        answer = client.get("/bench/points-summary-base/")
        if answer.status_code != 200:
            raise RuntimeError(f"base view answered {answer.status_code}")
        return answer.json()["data"]["pointsSummary"]

    with override_settings(ROOT_URLCONF="benchmarks.reports_urls"):
        base_rows = base_call()
        out["base_http"] = _timed(base_call, base_calls, warm_up=1)
        try:
            report_rows = report_call()
        except RuntimeError as error:
            out["report_http"] = {"unavailable": str(error)}
            report_rows = None
        else:
            out["report_http"] = _timed(report_call, calls)
            out["report_http_without_recipients"] = _timed(lambda: report_call(QUERY_WITHOUT_RECIPIENTS), calls)
    base_params = [organisation.pk]
    out["base_sql"] = _timed(_sql_call(BASE_SQL, base_params), sql_calls, warm_up=1)
    out["base_explain"] = _explain(BASE_SQL, base_params)
    try:
        from reports.commands import ReportFilter
        from reports.selectors.points import points_summary_query
    except ImportError as error:
        out["report_sql"] = {"unavailable": str(error)}
    else:
        sql, params, _ = points_summary_query(organisation.pk, ["business_unit", "month"], ReportFilter())
        out["report_sql"] = _timed(_sql_call(sql, params), sql_calls)
        out["report_explain"] = _explain(sql, params)
        out["report_sql_text"] = sql
    if report_rows is not None:
        out["comparison"] = _compare(report_rows, base_rows)
    out["rollup_rows"] = _rollup_sizes(organisation.pk)
    return out


if __name__ == "__main__":
    slug, calls, base_calls, sql_calls = sys.argv[1], *map(int, sys.argv[2:5])
    print(json.dumps(measure(slug, calls, base_calls, sql_calls), default=str))
