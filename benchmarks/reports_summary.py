"""pointsSummary by business unit x month over a ledger of a million lines, against the same GROUP BY on the
ledger's own tables, in the same run.

    python -m benchmarks.reports_summary [--entries 1000000] [--employees 10000] [--units 100] [--months 24]
        [--movers 100] [--calls 100] [--base-calls 100] [--sql-calls 20] [--no-load-compare]

Issue 18: "pointsSummary grouped by business unit x month over 1,000,000 ledger lines (100 business units,
10,000 employees, 24 months): p50 and p95 over 100 calls through GraphQL, against the same GROUP BY on the
base tables in the same run. Goal: p50 at most 50 ms and at least 20x faster than the base query."

1. Load (benchmarks.reports_data): the organisation, employees and funded programmes through the services,
   then each month's lots, transactions and entries by COPY, one statement each, as the ledger writes them,
   so the reports capture trigger runs once per month of entries. Each month is first written with the
   capture trigger disabled, timed and rolled back (a savepoint), then written with it and committed: the
   difference is the write cost of the rollups. Then the deltas are folded (reports.services.fold).
2. Measure (benchmarks.reports_measure, in a new process): one `points.csv` of the whole history at the
   finest grouping, streamed (rows, seconds, peak RSS growth); `calls` POSTs of the pointsSummary query to
   the real /graphql/ view through Django's test client in-process (a bearer token with reports:read,
   so authentication, scopes, the GraphQL executor and JSON are included; no socket), against `base-calls`
   GETs of a DRF view with the same token check that runs the base GROUP BY (benchmarks.reports_urls), p50
   and p95; then both SQL statements alone (`sql-calls` each) and EXPLAIN ANALYZE of each.
The organisation (`bench-reports-…`) and its rows stay in the database (the ledger is append-only).
"""

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import time

from benchmarks.common import format_table, machine_info, setup_django, write_results

NAME = "reports_summary"
GOAL_P50_MS, GOAL_RATIO = 50, 20


def load(args) -> tuple[str, dict]:
    from django.db import transaction

    from benchmarks import reports_data

    slug = f"bench-reports-{secrets.token_hex(3)}"
    started = time.perf_counter()
    world, _ = reports_data.prepare(employees=args.employees, units=args.units, slug=slug)
    prepared = time.perf_counter() - started
    rng = random.Random(1818)
    starts = reports_data.months(args.months)
    per_month = args.entries // 2 // args.months
    extra = args.entries // 2 - per_month * args.months
    simulate = with_capture = without_capture = 0.0
    kinds: dict[str, int] = {}
    for index in range(args.months):
        if index and args.movers:
            reports_data.move_employees(world, rng, args.movers)
        began = time.perf_counter()
        month = reports_data.simulate_month(
            world, rng, starts[index], starts[index + 1], per_month + (1 if index < extra else 0)
        )
        simulate += time.perf_counter() - began
        for row in month.transactions:
            kinds[row[2]] = kinds.get(row[2], 0) + 1
        with transaction.atomic():
            if args.load_compare:
                point = transaction.savepoint()
                without_capture += reports_data.write_month(month, capture=False)
                transaction.savepoint_rollback(point)
            with_capture += reports_data.write_month(month, capture=True)
        print(f"  month {index + 1}/{args.months}: {len(month.entries):,} entries", flush=True)
    began = time.perf_counter()
    with transaction.atomic():
        reports_data.finish(world)
    finishing = time.perf_counter() - began
    from reports.services.fold import points_deltas_fold

    began, folded = time.perf_counter(), 0
    while done := points_deltas_fold(chunk=10_000, max_rounds=100):
        folded += done
    fold_seconds = time.perf_counter() - began
    figures = {
        "organisation": slug,
        "transactions_by_kind": kinds,
        "prepare_seconds": prepared,
        "simulate_seconds": simulate,
        "copy_seconds_with_capture": with_capture,
        "copy_seconds_without_capture": without_capture if args.load_compare else None,
        "finish_seconds": finishing,
        "deltas_folded": folded,
        "fold_seconds": fold_seconds,
    }
    return slug, figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{NAME}")
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger lines (two per transaction)")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=100, help="business units")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--movers", type=int, default=100, help="employees changing business unit each month")
    parser.add_argument("--calls", type=int, default=100, help="pointsSummary calls")
    parser.add_argument("--base-calls", type=int, default=100, help="base GROUP BY calls over HTTP")
    parser.add_argument("--sql-calls", type=int, default=20, help="calls of each SQL statement alone")
    parser.add_argument("--no-load-compare", dest="load_compare", action="store_false")
    parser.add_argument("--organisation", help="measure an organisation loaded before (its slug); no load")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_django()
    if args.organisation:
        slug, loaded = args.organisation, None
    else:
        slug, loaded = load(args)
    command = [sys.executable, "-m", "benchmarks.reports_measure", slug, str(args.calls), str(args.base_calls)]
    child = subprocess.run([*command, str(args.sql_calls)], capture_output=True, text=True, env=os.environ)
    if child.returncode:
        print(child.stderr[-3000:], file=sys.stderr)
        return 1
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    return report(args, slug, loaded, measured)


def _ms(figures: dict, key: str) -> str:
    return f"{figures[key]:,.1f}" if key in figures else "-"


def report(args, slug: str, loaded: dict | None, measured: dict) -> int:
    http, base, report_sql, base_sql = (
        measured["report_http"],
        measured["base_http"],
        measured["report_sql"],
        measured["base_sql"],
    )
    rows = [
        [
            "pointsSummary (GraphQL, test client)",
            "rollup",
            str(http.get("calls", "-")),
            _ms(http, "p50_ms"),
            _ms(http, "p95_ms"),
        ],
        [
            "pointsSummary without recipients (GraphQL)",
            "rollup",
            str(measured.get("report_http_without_recipients", {}).get("calls", "-")),
            _ms(measured.get("report_http_without_recipients", {}), "p50_ms"),
            _ms(measured.get("report_http_without_recipients", {}), "p95_ms"),
        ],
        [
            "base GROUP BY (DRF view, test client)",
            "ledger",
            str(base["calls"]),
            _ms(base, "p50_ms"),
            _ms(base, "p95_ms"),
        ],
        [
            "report SQL alone",
            "rollup",
            str(report_sql.get("calls", "-")),
            _ms(report_sql, "p50_ms"),
            _ms(report_sql, "p95_ms"),
        ],
        ["base SQL alone", "ledger", str(base_sql["calls"]), _ms(base_sql, "p50_ms"), _ms(base_sql, "p95_ms")],
    ]
    print(f"\npointsSummary by business unit x month, organisation {slug}, {os.cpu_count()} cores (shared)")
    print(format_table(["what", "reads", "calls", "p50 ms", "p95 ms"], rows))
    results = {"load": loaded, **measured}
    met = False
    if "p50_ms" in http:
        ratio = base["p50_ms"] / http["p50_ms"]
        met = http["p50_ms"] <= GOAL_P50_MS and ratio >= GOAL_RATIO
        results.update({"ratio_base_to_report_p50": ratio, "goal_met": met})
        print(
            f"base p50 / report p50 = {ratio:.1f} (goal >= {GOAL_RATIO}); report p50 {http['p50_ms']:.1f} ms"
            f" (goal <= {GOAL_P50_MS}): {'met' if met else 'NOT met'}"
        )
        lean = measured.get("report_http_without_recipients", {})
        if "p50_ms" in lean:
            results["ratio_base_to_report_without_recipients_p50"] = base["p50_ms"] / lean["p50_ms"]
            print(
                f"without recipients: base p50 / report p50 = {base['p50_ms'] / lean['p50_ms']:.1f};"
                f" report p50 {lean['p50_ms']:.1f} ms"
            )
    else:
        print(f"pointsSummary not measured: {http.get('unavailable')}")
    if "p50_ms" in report_sql:
        print(f"SQL alone: base / report = {base_sql['p50_ms'] / report_sql['p50_ms']:.1f}")
    print(f"comparison: {measured.get('comparison')}")
    print(f"rollup rows: {measured['rollup_rows']}")
    print(f"points.csv: {measured['csv']}")
    if loaded:
        print(
            f"load: {loaded['transactions_by_kind']}; COPY with capture {loaded['copy_seconds_with_capture']:.1f} s,"
            f" without {loaded['copy_seconds_without_capture'] or 0:.1f} s; fold {loaded['deltas_folded']:,} deltas"
            f" in {loaded['fold_seconds']:.1f} s"
        )
    write_results(
        NAME,
        {
            "command": f"python -m benchmarks.{NAME} " + " ".join(sys.argv[1:]),
            "machine": machine_info(),
            "parameters": vars(args),
            "results": results,
        },
    )
    comparison = measured.get("comparison", {})
    return 0 if comparison.get("months_agree", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
