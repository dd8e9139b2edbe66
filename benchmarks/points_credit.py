"""Single points credits over REST under parallel load, against two baselines from the same run.

    python -m benchmarks.points_credit [--seconds 20] [--connections 16] [--workers 4] [--threads 4] [--shards N]

- plum: POST /api/v1/points/requests/ on gunicorn, `connections` keep-alive connections with tokens,
  distinct request_ids over 1,000 wallets, for `seconds`; every answer must be 201.
- bare DRF: a DRF view answering a constant on the same gunicorn (no auth, no database).
- for reference, the same constant behind Plum's token authentication, scope check and rate limit.
- the floor: that view also parsing the body and sending the credit's own statement (below) before its
  constant answer, the least a credit endpoint on this stack does.
- raw SQL: the credit's own statement (points_request_credit: request row, wallet, one budget shard
  with SKIP LOCKED, lot, ledger transaction and entries, outbox event; one round trip, its own commit),
  prepared, from `connections` processes with a psycopg connection each.
Afterwards the ledger is reconciled and the credited count checked against the 201s. Needs `wrk`
(Debian package `wrk`). The benchmark's rows stay in the database: the ledger is append-only.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from benchmarks.common import format_table, machine_info, setup_django, write_results
from benchmarks.credit_statement import POINTS

PORT = 8077
FLOOR_PATH = "/bench/credit-floor/"
# With REDIS_URL (as deployed) every API call counts itself in Redis, one round trip; without, in memory.
COUNTERS = "Redis" if os.environ.get("REDIS_URL") else "process memory"
WALLETS = 1000
LUA = """
-- setup() runs in the main Lua state; each thread gets its own number through thread:set.
local made = 0
setup = function(thread) made = made + 1; thread:set("tid", made) end
local counter = 0
local employees = {%(employees)s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local template = '{"request_id":"%(prefix)s-%%s-%%d","employee_id":"%%s","points":%(points)d,"programme":"BENCH"}'
request = function()
  counter = counter + 1
  local body = string.format(template, tid, counter, employees[(counter %% #employees) + 1])
  return wrk.format("POST", "%(path)s", headers, body)
end
"""


def _prepare(shards: int | None):
    from plum.core.actor import Actor
    from points import services as points_services
    from points.commands import ProgrammeCommand, ProgrammeTopupCommand
    from points.ledger import budget_shards_create
    from users import services as users_services
    from users.commands import ApiClientCreate, EmployeesSync

    slug = f"bench-points-credit-{secrets.token_hex(3)}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name=slug)
    actor = Actor.system(organisation.id, label="benchmark")
    records = [
        {"employee_id": f"W{n:05d}", "email": f"w{n}@bench.example", "first_name": "B", "last_name": "W"}
        for n in range(WALLETS)
    ]
    body = {"mode": "upsert", "source": "bench", "employees": records}
    users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body, max_records=WALLETS))
    programme = points_services.programme_create(
        actor=actor,
        command=ProgrammeCommand.parse({"code": "BENCH", "name": "Benchmark", "max_points_per_request": 1000}),
    )
    if shards is not None:  # more shards than the default, made before the top-up spreads the budget over them
        programme.budget_shards = shards
        programme.save(update_fields=["budget_shards"])
        budget_shards_create(programme)
    funding = ProgrammeTopupCommand.parse({"programme": "BENCH", "points": 1_000_000_000})
    points_services.programme_topup(actor=actor, command=funding)
    client = ApiClientCreate(name="bench", allowed_scopes=["points:write"])
    issued = users_services.api_client_create(organisation=organisation, command=client)
    return organisation, actor, [r["employee_id"] for r in records], issued


def _token(issued) -> str:
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    value = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        application=issued.client, token=value, scope="points:write", expires=timezone.now() + timedelta(hours=2)
    )
    return value


def _gunicorn(workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PLUM_CLIENT_RATE": "100000000/min",
        "PLUM_ALLOW_EPHEMERAL_SECRET": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # Connections kept for the whole run: one closed on its age mid-run takes its backend's CPU time out of /proc.
        "DB_CONN_MAX_AGE": "3600",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "plum.wsgi",
        "-b",
        f"127.0.0.1:{PORT}",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _cpu_seconds() -> dict[int, tuple[str, float]]:
    """Per process: its kind (the PostgreSQL server or gunicorn) and the CPU time it used so far (Linux /proc)."""
    used = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                line, command = stat.read(), cmdline.read()
        except OSError:  # the process ended meanwhile
            continue
        name = "postgres" if line[line.index("(") + 1 :].startswith("postgres") else "gunicorn"
        if name == "gunicorn" and b"gunicorn" not in command:
            continue
        fields = line[line.rindex(")") + 2 :].split()
        # utime + stime, and for PostgreSQL cutime + cstime too: the postmaster's reaped children (backends,
        # autovacuum workers that ended during a run) are counted there
        ticks = sum(int(f) for f in fields[11 : 15 if name == "postgres" else 13])
        used[int(pid)] = (name, ticks / os.sysconf("SC_CLK_TCK"))
    return used


def _with_cpu(run) -> dict:
    """`run()`'s wrk figures, with the CPU milliseconds each kind of process spent per request. A backend
    that ended during the run counts through the postmaster (its whole life); a gunicorn process that
    ended is left out (its time is gone from /proc)."""
    before = _cpu_seconds()
    figures = run()
    spent = {"postgres": 0.0, "gunicorn": 0.0}
    for pid, (name, seconds) in _cpu_seconds().items():
        spent[name] += seconds - before.get(pid, (name, 0.0))[1]
    figures["cpu_ms"] = {k: v * 1000 / max(figures["requests"], 1) for k, v in spent.items()}
    return figures


def _wrk(path: str, seconds: int, connections: int, script: str | None = None) -> dict:
    command = ["wrk", "-t", "4", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(
        [*command, "-s", lua.name, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, check=True
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.MULTILINE))
    p50, p99 = latency.get("50", "?"), latency.get("99", "?")
    return {
        "requests": requests,
        "per_second": requests / seconds,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "p50": p50,
        "p99": p99,
    }


def _rollbacks() -> int:
    """Transactions rolled back in this database so far. During Plum's run the only ones are credit
    statements that found every payable shard busy (PL002: sent again to wait for one) or none able to pay
    alone (PL001: the general path took over)."""
    from django.db import connection

    with connection.cursor() as cursor:
        time.sleep(1)  # backends report their counts when idle, at most once a second
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _raw_sql_worker(dsn, org, employees, seconds, counts, index):
    """The credit's own statement (what the service sends for a credit), prepared, with a constant
    event payload: the database's side of a credit without Python's."""
    import psycopg

    done, now = 0, None
    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            now = conn.execute("SELECT now()").fetchone()[0] if now is None else now
            employee_id = employees[(done + index * 7) % len(employees)]
            row = _raw_credit(conn, org, f"raw-{index}-{done}-{uuid.uuid4().hex[:8]}", employee_id, now)
            if row[0] != "credited":
                raise SystemExit(f"raw SQL credit answered {row[0]}")
            done += 1
    counts[index] = done


def _raw_credit(conn, org, request_id: str, employee_id: str, now):
    from benchmarks.credit_statement import credit, credit_params

    return credit(conn, credit_params(org, request_id, employee_id, now))


def _raw_sql(organisation, seconds: int, connections: int) -> dict:
    """`connections` processes (threads would measure Python's GIL, not PostgreSQL), one connection each."""
    import multiprocessing

    from django.db import connection

    from users.models import Employee

    db = connection.settings_dict
    dsn = f"dbname={db['NAME']} user={db['USER']} host={db['HOST']} port={db.get('PORT') or 5432}"
    if db.get("PASSWORD"):
        dsn += f" password={db['PASSWORD']}"
    employees = list(Employee.objects.filter(organisation=organisation).values_list("employee_id", flat=True))
    connection.close()  # no Django connection inherited by the forked workers
    counts = multiprocessing.Array("i", connections)
    workers = [
        multiprocessing.Process(target=_raw_sql_worker, args=(dsn, organisation.pk, employees, seconds, counts, i))
        for i in range(connections)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if any(worker.exitcode for worker in workers):
        raise SystemExit("a raw SQL worker failed")
    return {"requests": sum(counts), "per_second": sum(counts) / seconds, "errors": 0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.points_credit")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--shards", type=int, choices=range(8, 65), metavar="8..64", help="the programme's budget shards"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    setup_django()
    from points.models import PointsRequest
    from points.services import ledger_reconcile

    organisation, _, employees, issued = _prepare(args.shards)
    # Wallets exist before the run, as they would for a live organisation (the first credit creates one).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
            " SELECT organisation_id, 'wallet', id, 0, now() FROM users_employee WHERE organisation_id = %s"
            " ON CONFLICT DO NOTHING",
            [organisation.pk],
        )
    script_values = {
        "employees": ",".join(f'"{e}"' for e in employees),
        "token": _token(issued),
        "prefix": uuid.uuid4().hex[:8],
        "points": POINTS,
    }
    rollbacks_before = _rollbacks()
    server = _gunicorn(args.workers, args.threads)
    try:
        _wrk("/bench/constant/", 3, args.connections)  # warm-up
        bare = _with_cpu(lambda: _wrk("/bench/constant/", args.seconds, args.connections))
        credit_script = LUA % {**script_values, "path": "/api/v1/points/requests/"}
        check_script = LUA % {**script_values, "path": "/bench/authenticated/"}
        plum = _with_cpu(lambda: _wrk("/api/v1/points/requests/", args.seconds, args.connections, credit_script))
        plum["rolled_back"] = _rollbacks() - rollbacks_before
        authenticated = _with_cpu(lambda: _wrk("/bench/authenticated/", args.seconds, args.connections, check_script))
        floor_script = LUA % {**script_values, "prefix": "floor-" + script_values["prefix"], "path": FLOOR_PATH}
        floor = _with_cpu(lambda: _wrk(FLOOR_PATH, args.seconds, args.connections, floor_script))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    raw = _raw_sql(organisation, args.seconds, args.connections)

    credited = (
        PointsRequest.objects.filter(organisation=organisation, status="credited")
        .exclude(request_id__startswith="raw-")
        .exclude(request_id__startswith="floor-")
        .count()
    )
    issues = [i for i in ledger_reconcile() if i.organisation_id == organisation.pk]
    rows = [
        ["plum credit (REST)", f"{plum['per_second']:,.0f}", str(plum["errors"]), plum["p50"], plum["p99"]],
        ["bare DRF endpoint", f"{bare['per_second']:,.0f}", str(bare["errors"]), bare["p50"], bare["p99"]],
        [
            "DRF + Plum's token check",
            f"{authenticated['per_second']:,.0f}",
            str(authenticated["errors"]),
            authenticated["p50"],
            authenticated["p99"],
        ],
        [
            "token check + the credit's statement",
            f"{floor['per_second']:,.0f}",
            str(floor["errors"]),
            floor["p50"],
            floor["p99"],
        ],
        ["raw SQL credit", f"{raw['per_second']:,.0f}", "0", "-", "-"],
    ]
    print(
        f"\nSingle credits, {args.connections} connections, {args.seconds} s each, gunicorn {args.workers}x"
        f"{args.threads} gthread, {args.shards or 'default'} budget shards, {os.cpu_count()} cores,"
        f" rate-limit counters in {COUNTERS}"
    )
    print(format_table(["target", "requests/s", "errors", "p50", "p99"], rows))
    ratio_bare = plum["per_second"] / bare["per_second"]
    ratio_raw = plum["per_second"] / raw["per_second"]
    ratio_authenticated = plum["per_second"] / authenticated["per_second"]
    ratio_floor = floor["per_second"] / bare["per_second"]
    print(
        f"plum / bare DRF = {ratio_bare:.2f} (target >= 0.25); plum / raw SQL = {ratio_raw:.2f};"
        f" plum / token-checked constant = {ratio_authenticated:.2f}"
    )
    print(f"floor (token check + the credit's statement) / bare DRF = {ratio_floor:.2f}")
    runs = (("plum", plum), ("bare DRF", bare), ("token check", authenticated), ("floor", floor))
    for name, run in runs:
        print(f"CPU per request, {name}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in run["cpu_ms"].items()))
    print(f"credit statements rolled back (every payable shard busy, or none able to pay alone): {plum['rolled_back']}")
    print(
        f"201 answers {plum['requests'] - plum['errors']}, credited requests {credited}, "
        f"reconciliation issues {len(issues)}"
    )
    write_results(
        "points_credit",
        {
            "command": "python -m benchmarks.points_credit " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine_info(),
            "parameters": {**vars(args), "rate_limit_counters": COUNTERS},
            "results": {
                "plum": plum,
                "bare_drf": bare,
                "authenticated_constant": authenticated,
                "floor": floor,
                "raw_sql": raw,
                "ratio_to_bare": ratio_bare,
                "ratio_to_raw_sql": ratio_raw,
                "ratio_to_authenticated_constant": ratio_authenticated,
                "floor_ratio_to_bare": ratio_floor,
                "credited": credited,
                "reconciliation_issues": len(issues),
            },
        },
    )
    # wrk stops counting with a request in flight on each connection; the server still completes it.
    ok = (
        plum["errors"] == 0
        and floor["errors"] == 0
        and not issues
        and 0 <= credited - plum["requests"] <= args.connections
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
