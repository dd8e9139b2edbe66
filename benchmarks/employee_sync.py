"""Employee sync: users.services.employees_sync against a raw-SQL upsert of the same rows, in the same run.

    python -m benchmarks.employee_sync [--sizes 10000 100000] [--repeat R]

For each size N and each repetition, fresh throwaway organisations receive three syncs in turn:

    create     N new employees
    unchanged  the same N records again (nothing to write)
    changed    the same N records with one field (role) changed on every record

once through the service (mode upsert) and once through each baseline (psycopg, one transaction):

    copy       binary COPY into a temporary table, then INSERT ... SELECT ... ON CONFLICT DO UPDATE
    values     multi-row INSERT ... VALUES ... ON CONFLICT DO UPDATE in batches (execute_values style)

Both baselines resolve business units, cost centres and managers like the service and skip unchanged
rows (ON CONFLICT ... DO UPDATE ... WHERE old IS DISTINCT FROM new); they neither validate records nor
write outbox events, which is the service's extra work. The end state of every organisation is compared
(one fingerprint over all columns), so the baseline cannot be faster by doing less of the writing.
"""

import argparse
import sys
import uuid
from datetime import date

from benchmarks.common import Timer, format_table, machine_info, median, setup_django, write_results

NAME = "employee_sync"
SLUG_PREFIX = "bench-employee-sync-"
SOURCE = "benchmark"
SCENARIOS = {
    "create": "create N new employees",
    "unchanged": "same N records again (all unchanged)",
    "changed": "one field changed on every record",
}
BASELINES = ("copy", "values")
VALUES_BATCH_ROWS = 1000  # 20 columns: 20,000 parameters per statement, well below PostgreSQL's 65,535

BUSINESS_UNITS = ["ENG", "SALES", "OPS", "HR", "FIN"]
COST_CENTRES = ["CC-100", "CC-200", "CC-300", "CC-400"]
COUNTRIES = ["GB", "IN", "US", "DE", "SG"]
DEPARTMENTS = ["Platform", "Field Sales", "Support", "People", "Finance"]
FIRST = ["Asha", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gita", "Hugo", "Ines", "Jon"]
LAST = ["Rao", "Smith", "Li", "Okafor", "Müller", "Khan", "Silva", "Novak", "Sato", "Berg"]
MANAGERS = 5
DEFAULT_REPEAT = 3
SLOW_SIZE = 10_000  # above this one repetition takes minutes, so it runs once unless --repeat says otherwise

# users_employee columns written by both sides, with their types for binary COPY; UPDATE_COLUMNS are
# compared and overwritten on conflict.
COLUMN_TYPES = {
    "id": "uuid",
    "organisation_id": "uuid",
    "employee_id": "text",
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "status": "text",
    "role": "text",
    "department": "text",
    "country": "text",
    "hire_date": "date",
    "exit_date": "date",
    "slack_user_id": "text",
    "teams_user_id": "text",
    "source": "text",
    "business_unit_id": "uuid",
    "cost_centre_id": "uuid",
    "manager_id": "uuid",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
}
COLUMNS = tuple(COLUMN_TYPES)
UPDATE_COLUMNS = COLUMNS[3:18]


def make_records(n: int) -> list[dict]:
    """N valid records shaped like an HR feed; the first few employees manage all the others."""
    records = []
    for i in range(1, n + 1):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        unit = i % len(BUSINESS_UNITS)
        records.append(
            {
                "employee_id": f"E{i:07d}",
                "email": f"{first.lower()}.{i}@bench.example",
                "first_name": first,
                "last_name": last,
                "business_unit": BUSINESS_UNITS[unit],
                "department": DEPARTMENTS[unit],
                "cost_centre": COST_CENTRES[i % len(COST_CENTRES)],
                "country": COUNTRIES[i % len(COUNTRIES)],
                "role": "Manager" if i <= MANAGERS else "Associate",
                "manager_employee_id": None if i <= MANAGERS else f"E{(i % MANAGERS) + 1:07d}",
                "hire_date": f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            }
        )
    return records


def changed_records(records: list[dict]) -> list[dict]:
    return [{**r, "role": f"{r['role']} II"} for r in records]


# --- Throwaway organisations -----------------------------------------------------------------------


def new_organisation(label: str):
    from users.services import organisation_ensure

    slug = f"{SLUG_PREFIX}{label}-{uuid.uuid4().hex[:8]}"
    organisation, _ = organisation_ensure(slug=slug, name=f"Benchmark {label}")
    return organisation.id


def delete_organisations(organisation_ids: list) -> None:
    """Every row the benchmark wrote: outbox events, employees, business units, cost centres, the organisations."""
    if not organisation_ids:
        return
    from django.db import connection, transaction

    from plum.core.models import OutboxEvent
    from users.models import BusinessUnit, CostCentre, Employee, Organisation

    ids = [str(i) for i in organisation_ids]
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (OutboxEvent, Employee, BusinessUnit, CostCentre):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE organisation_id = ANY(%s::uuid[])", [ids])
        cursor.execute(f"DELETE FROM {Organisation._meta.db_table} WHERE id = ANY(%s::uuid[])", [ids])


def stale_organisations() -> list:
    """Organisations left by an interrupted run (same slug prefix)."""
    from users.models import Organisation

    return list(Organisation.objects.filter(slug__startswith=SLUG_PREFIX).values_list("id", flat=True))


def fingerprint(organisation_id) -> tuple[int, str]:
    """Row count and a digest of every written column, managers and dimensions by their codes."""
    from django.db import connection

    from users.models import BusinessUnit, CostCentre, Employee

    e, bu, cc = Employee._meta.db_table, BusinessUnit._meta.db_table, CostCentre._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*), md5(string_agg(concat_ws('|', e.employee_id, e.email, e.first_name, e.last_name,
                       e.status, e.role, e.department, e.country, e.hire_date, e.exit_date, e.slack_user_id,
                       e.teams_user_id, e.source, bu.code, cc.code, m.employee_id), ',' ORDER BY e.employee_id))
            FROM {e} e
            LEFT JOIN {bu} bu ON bu.id = e.business_unit_id
            LEFT JOIN {cc} cc ON cc.id = e.cost_centre_id
            LEFT JOIN {e} m ON m.id = e.manager_id
            WHERE e.organisation_id = %s
            """,
            [organisation_id],
        )
        return tuple(cursor.fetchone())


# --- The service ------------------------------------------------------------------------------------


def run_service(organisation_id, inputs: dict[str, list[dict]]) -> dict[str, float]:
    from plum.core.actor import Actor
    from users.commands import MAX_SYNC_RECORDS, EmployeesSync
    from users.services import employees_sync

    actor = Actor.system(organisation_id, label="benchmark")
    expected = {"create": "created", "unchanged": "unchanged", "changed": "updated"}
    seconds = {}
    for scenario, records in inputs.items():
        with Timer() as timer:
            body = {"mode": "upsert", "source": SOURCE, "employees": records}
            # the API caps a call at MAX_SYNC_RECORDS
            command = EmployeesSync.parse(body, max_records=max(len(records), MAX_SYNC_RECORDS))
            result = employees_sync(actor=actor, command=command)
        counts = result.as_dict()
        if result.errors or counts[expected[scenario]] != len(records):
            raise RuntimeError(f"service {scenario}: unexpected result {counts | {'errors': result.errors[:3]}}")
        seconds[scenario] = timer.seconds
    return seconds


# --- The baselines ------------------------------------------------------------------------------------


def _upsert_tail(table: str) -> str:
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*UPDATE_COLUMNS, "updated_at"))
    old = ", ".join(f"{table}.{c}" for c in UPDATE_COLUMNS)
    new = ", ".join(f"EXCLUDED.{c}" for c in UPDATE_COLUMNS)
    return (
        f" ON CONFLICT (organisation_id, employee_id) DO UPDATE SET {assignments}"
        f" WHERE ({old}) IS DISTINCT FROM ({new})"
    )


def _dimension_ids(cursor, table: str, organisation_id, codes: set[str]) -> dict[str, uuid.UUID]:
    codes = sorted(codes)
    cursor.execute(
        f"INSERT INTO {table} (id, organisation_id, code, name, created_at)"
        " SELECT gen_random_uuid(), %s, code, '', now() FROM unnest(%s::text[]) AS code"
        " ON CONFLICT (organisation_id, code) DO NOTHING",
        [organisation_id, codes],
    )
    cursor.execute(
        f"SELECT code, id FROM {table} WHERE organisation_id = %s AND code = ANY(%s)", [organisation_id, codes]
    )
    return dict(cursor.fetchall())


def _rows(cursor, tables: dict, organisation_id, records: list[dict]) -> list[tuple]:
    """Turn the same input records into complete rows: ids of existing employees, dimensions, managers."""
    units = _dimension_ids(cursor, tables["bu"], organisation_id, {r["business_unit"] for r in records})
    centres = _dimension_ids(cursor, tables["cc"], organisation_id, {r["cost_centre"] for r in records})
    cursor.execute(
        f"SELECT employee_id, id FROM {tables['e']} WHERE organisation_id = %s AND employee_id = ANY(%s)",
        [organisation_id, [r["employee_id"] for r in records]],
    )
    ids = dict(cursor.fetchall())
    for r in records:
        if r["employee_id"] not in ids:
            ids[r["employee_id"]] = uuid.uuid4()
    cursor.execute("SELECT now()")
    now = cursor.fetchone()[0]
    return [
        (
            ids[r["employee_id"]],
            organisation_id,
            r["employee_id"],
            r["email"],
            r["first_name"],
            r["last_name"],
            "active",
            r["role"],
            r["department"],
            r["country"],
            date.fromisoformat(r["hire_date"]),
            None,
            "",
            "",
            SOURCE,
            units[r["business_unit"]],
            centres[r["cost_centre"]],
            ids[r["manager_employee_id"]] if r["manager_employee_id"] else None,
            now,
            now,
        )
        for r in records
    ]


def _write_copy(cursor, table: str, rows: list[tuple]) -> int:
    cursor.execute(f"CREATE TEMPORARY TABLE bench_employee_load (LIKE {table}) ON COMMIT DROP")
    with cursor.copy(f"COPY bench_employee_load ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(COLUMN_TYPES.values()))
        for row in rows:
            copy.write_row(row)
    columns = ", ".join(COLUMNS)
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM bench_employee_load" + _upsert_tail(table))
    return cursor.rowcount


def _write_values(cursor, table: str, rows: list[tuple]) -> int:
    written = 0
    one_row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    for start in range(0, len(rows), VALUES_BATCH_ROWS):
        batch = rows[start : start + VALUES_BATCH_ROWS]
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join([one_row] * len(batch))}"
            + _upsert_tail(table),
            [value for row in batch for value in row],
        )
        written += cursor.rowcount
    return written


def run_baseline(method: str, organisation_id, inputs: dict[str, list[dict]]) -> dict[str, float]:
    import psycopg

    from users.models import BusinessUnit, CostCentre, Employee

    tables = {"e": Employee._meta.db_table, "bu": BusinessUnit._meta.db_table, "cc": CostCentre._meta.db_table}
    write = {"copy": _write_copy, "values": _write_values}[method]
    expected_writes = {"create": len, "unchanged": lambda records: 0, "changed": len}
    seconds = {}
    with psycopg.connect(**_psycopg_params()) as conn:
        for scenario, records in inputs.items():
            with Timer() as timer, conn.transaction(), conn.cursor() as cursor:
                written = write(cursor, tables["e"], _rows(cursor, tables, organisation_id, records))
            if written != expected_writes[scenario](records):
                raise RuntimeError(f"baseline {method} {scenario}: wrote {written} rows")
            seconds[scenario] = timer.seconds
    return seconds


def _psycopg_params() -> dict:
    from django.db import connection

    db = connection.settings_dict
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
    }
    django_only = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory", "context"}
    options = {k: v for k, v in (db.get("OPTIONS") or {}).items() if k not in django_only}  # libpq ones stay
    return {k: v for k, v in params.items() if v} | options


# --- The run ------------------------------------------------------------------------------------------


def measure(n: int, repeat: int, created: list) -> dict[str, dict[str, list[float]]]:
    """seconds[side][scenario] -> one value per repetition; each side and repetition on a fresh organisation."""
    records = make_records(n)
    inputs = {"create": records, "unchanged": records, "changed": changed_records(records)}
    sides = ("service", *BASELINES)
    seconds = {side: {s: [] for s in SCENARIOS} for side in sides}
    for rep in range(repeat):
        prints = {}
        for side in sides[rep % len(sides) :] + sides[: rep % len(sides)]:  # rotate the order
            organisation_id = new_organisation(f"{side}-{n}")
            created.append(organisation_id)
            if side == "service":
                run = run_service(organisation_id, inputs)
            else:
                run = run_baseline(side, organisation_id, inputs)
            for scenario, value in run.items():
                seconds[side][scenario].append(value)
            prints[side] = fingerprint(organisation_id)
        if len(set(prints.values())) != 1:
            raise RuntimeError(f"N={n}: the service and the baselines left different rows: {prints}")
        print(f"  N={n:,} repetition {rep + 1}/{repeat} done", file=sys.stderr)
    return seconds


def summarise(n: int, seconds: dict) -> list[dict]:
    results = []
    for scenario in SCENARIOS:
        entry = {"size": n, "scenario": scenario, "description": SCENARIOS[scenario]}
        for side, runs in seconds.items():
            value = median(runs[scenario])
            entry[side] = {
                "seconds": round(value, 4),
                "rows_per_second": round(n / value),
                "runs": [round(r, 4) for r in runs[scenario]],
            }
        best = min(BASELINES, key=lambda b: entry[b]["seconds"])
        entry["baseline"] = best
        entry["ratio_service_to_baseline_time"] = round(entry["service"]["seconds"] / entry[best]["seconds"], 2)
        results.append(entry)
    return results


def print_table(results: list[dict], machine: dict) -> None:
    headers = ["N", "scenario", "service rows/s", "copy rows/s", "values rows/s", "best baseline", "service/baseline"]
    rows = [
        [
            f"{r['size']:,}",
            r["scenario"],
            f"{r['service']['rows_per_second']:,}",
            f"{r['copy']['rows_per_second']:,}",
            f"{r['values']['rows_per_second']:,}",
            r["baseline"],
            f"{r['ratio_service_to_baseline_time']:.2f}x time",
        ]
        for r in results
    ]
    print(
        f"\nEmployee sync, mode upsert: {machine['cores']} cores, {machine['cpu_model']}, "
        f"PostgreSQL {machine['postgresql_version']} ({machine['database']})"
    )
    print(format_table(headers, rows))
    print("service/baseline: the service's time divided by the faster baseline's (1.00x = as fast as raw SQL).")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.employee_sync", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="records per sync")
    parser.add_argument(
        "--repeat",
        type=int,
        help=f"repetitions per size, the median is reported (default {DEFAULT_REPEAT} up to N={SLOW_SIZE:,}, then 1)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results/employee_sync.json alone")
    parser.add_argument("--cleanup", action="store_true", help="only delete organisations left by interrupted runs")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_django()
    if args.cleanup:
        stale = stale_organisations()
        delete_organisations(stale)
        print(f"Deleted {len(stale)} benchmark organisation(s).")
        return 0

    from users.commands import MAX_SYNC_RECORDS

    machine = machine_info()
    created: list = []
    results: list[dict] = []
    repeats: dict[int, int] = {}
    try:
        measure(200, 1, created)  # warm-up: imports, connections, plan caches; not reported
        for n in args.sizes:
            repeats[n] = args.repeat or (DEFAULT_REPEAT if n <= SLOW_SIZE else 1)
            results += summarise(n, measure(n, repeats[n], created))
    finally:
        delete_organisations(created)

    print_table(results, machine)
    notes = [
        "Rows per second are N divided by the median wall time of one call, including the commit.",
        "The baselines do not validate records and write no outbox events; the service does both.",
        f"The service caps a call at MAX_SYNC_RECORDS={MAX_SYNC_RECORDS:,}; larger sizes pass max_records=N.",
    ]
    if any(n > MAX_SYNC_RECORDS for n in args.sizes):
        print(notes[2])
    if not args.no_write:
        path = write_results(
            NAME,
            {
                "command": " ".join(["python -m benchmarks.employee_sync", *(sys.argv[1:] if argv is None else argv)]),
                "machine": machine,
                "parameters": {"sizes": args.sizes, "repeat": repeats, "values_batch_rows": VALUES_BATCH_ROWS},
                "scenarios": SCENARIOS,
                "notes": notes,
                "results": results,
            },
        )
        print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
