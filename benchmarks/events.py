"""Events that each match one rule, against the same credits as plain points requests, in the same run.

    python -m benchmarks.events [--seconds 10] [--rounds 2] [--connections 16] [--workers 4] [--threads 4]

- events: POST /api/v1/events/ on gunicorn, distinct event_ids over 1,000 employees, each matching the
  organisation's one rule of its type (a condition on data.score), which credits 10 points through the
  points service: one transaction of the event row with the rule lookup, the credit (the points service's
  one statement, without a savepoint), and the reward row with the event.received outbox event.
- points requests: POST /api/v1/points/requests/ crediting the same 10 points to the same wallets.
Both are driven by `connections` keep-alive HTTP connections (threads of this process; a Python client is
slower than wrk, and the same for both), alternating `rounds` times, `seconds` each. Target: events at
least 0.8 of the points requests' rate (a rule lookup must cost little). Afterwards the credits are
counted against the 201s and the ledger reconciled. Rows stay in the database (the ledger is append-only).
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import sys
import threading
import time
import uuid

from benchmarks.common import format_table, machine_info, setup_django, write_results

PORT = 8078
WALLETS = 1000
POINTS = 10


def _prepare():
    from django.db import connection

    from integrations.events import services as event_services
    from integrations.events.commands import RuleCommand
    from plum.core.actor import Actor
    from points import services as points_services
    from points.commands import ProgrammeCommand, ProgrammeTopupCommand
    from users import services as users_services
    from users.commands import ApiClientCreate, EmployeesSync

    slug = f"bench-events-{secrets.token_hex(3)}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name=slug)
    actor = Actor.system(organisation.id, label="benchmark")
    records = [
        {"employee_id": f"W{n:05d}", "email": f"w{n}@bench.example", "first_name": "B", "last_name": "W"}
        for n in range(WALLETS)
    ]
    sync = EmployeesSync.parse({"mode": "upsert", "source": "bench", "employees": records}, max_records=WALLETS)
    users_services.employees_sync(actor=actor, command=sync)
    points_services.programme_create(
        actor=actor, command=ProgrammeCommand.parse({"code": "BENCH", "name": "Benchmark"})
    )
    points_services.programme_topup(
        actor=actor, command=ProgrammeTopupCommand.parse({"programme": "BENCH", "points": 1_000_000_000})
    )
    rule = {
        "name": "bench",
        "event_type": "bench.done",
        "conditions": [{"field": "data.score", "op": "gte", "value": 1}],
        "points": POINTS,
        "programme": "BENCH",
        "reason": "Benchmark",
    }
    event_services.rule_create(actor=actor, command=RuleCommand.parse(rule))
    with connection.cursor() as cursor:  # wallets exist before the run, as for a live organisation
        cursor.execute(
            "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
            " SELECT organisation_id, 'wallet', id, 0, now() FROM users_employee WHERE organisation_id = %s"
            " ON CONFLICT DO NOTHING",
            [organisation.pk],
        )
    client = ApiClientCreate(name="bench", allowed_scopes=["points:write"])
    issued = users_services.api_client_create(organisation=organisation, command=client)
    return organisation, [r["employee_id"] for r in records], _token(issued)


def _token(issued) -> str:
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    value = secrets.token_urlsafe(24)
    expires = timezone.now() + timedelta(hours=2)
    AccessToken.objects.create(application=issued.client, token=value, scope="points:write", expires=expires)
    return value


def _gunicorn(workers: int, threads: int):
    import subprocess
    import urllib.request

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PLUM_CLIENT_RATE": "100000000/min",
        "PLUM_ALLOW_EPHEMERAL_SECRET": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "3600",
    }
    command = [sys.executable, "-m", "gunicorn", "plum.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(workers)]
    command += ["-k", "gthread", "--threads", str(threads), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _bodies(kind: str, prefix: str, thread: int, employees: list[str]):
    """An endless supply of distinct bodies for one thread: an event, or the points request it stands for."""
    n = 0
    while True:
        n += 1
        employee = employees[(thread * 7919 + n) % len(employees)]
        key = f"{prefix}-{thread}-{n}"
        if kind == "events":
            yield (
                "/api/v1/events/",
                {
                    "event_id": key,
                    "type": "bench.done",
                    "employee_id": employee,
                    "occurred_at": "2026-12-07T09:30:00Z",
                    "data": {"score": 5},
                },
            )
        else:
            yield (
                "/api/v1/points/requests/",
                {
                    "request_id": key,
                    "employee_id": employee,
                    "points": POINTS,
                    "programme": "BENCH",
                    "reason": "Benchmark",
                    "source": "rule:bench",
                },
            )


def _drive(kind: str, seconds: float, connections: int, token: str, employees: list[str]) -> dict:
    """`connections` keep-alive connections posting for `seconds`: answers by status, latencies."""
    prefix = uuid.uuid4().hex[:10]
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def work(thread: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine: dict[int, int] = {}
        times = []
        bodies = _bodies(kind, prefix, thread, employees)
        start.wait()
        deadline = time.perf_counter() + seconds
        while (began := time.perf_counter()) < deadline:
            path, body = next(bodies)
            conn.request("POST", path, json.dumps(body), headers)
            answer = conn.getresponse()
            answer.read()
            times.append(time.perf_counter() - began)
            mine[answer.status] = mine.get(answer.status, 0) + 1
        conn.close()
        with lock:
            for status, count in mine.items():
                statuses[status] = statuses.get(status, 0) + count
            latencies.extend(times)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    return {"statuses": statuses, "latencies": latencies, "seconds": seconds}


def _summary(runs: list[dict]) -> dict:
    requests = sum(sum(r["statuses"].values()) for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    latencies = sorted(t for r in runs for t in r["latencies"])
    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "requests": requests,
        "per_second": requests / seconds,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.events")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_django()
    from django.db import connection

    from integrations.events.models import Event, Reward
    from points.models import PointsRequest
    from points.services import ledger_reconcile

    organisation, employees, token = _prepare()
    connection.close()
    server = _gunicorn(args.workers, args.threads)
    runs: dict[str, list] = {"points": [], "events": []}
    try:
        for kind in runs:  # warm-up: every gunicorn thread opens its connection and prepares its statements
            _drive(kind, 2, args.connections, token, employees)
        for _ in range(args.rounds):
            for kind in runs:
                runs[kind].append(_drive(kind, args.seconds, args.connections, token, employees))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    points, events = _summary(runs["points"]), _summary(runs["events"])
    ratio = events["per_second"] / points["per_second"]
    answered_201 = sum(r["statuses"].get(201, 0) for r in runs["events"])
    event_rows = Event.objects.filter(organisation=organisation).count()
    credited_rewards = Reward.objects.filter(event__organisation=organisation, status="credited").count()
    rule_credits = PointsRequest.objects.filter(
        organisation=organisation, status="credited", request_id__startswith="evt:"
    ).count()
    issues = [i for i in ledger_reconcile() if i.organisation_id == organisation.pk]
    rows = [
        [name, f"{s['per_second']:,.0f}", json.dumps(s["statuses"]), f"{s['p50_ms']:.1f}", f"{s['p99_ms']:.1f}"]
        for name, s in (("POST /points/requests/", points), ("POST /events/ (one rule)", events))
    ]
    print(
        f"\nEvents against points requests: {args.connections} connections, {args.rounds} x {args.seconds:g} s each,"
        f" gunicorn {args.workers}x{args.threads} gthread, {os.cpu_count()} cores"
    )
    print(format_table(["target", "requests/s", "answers", "p50 ms", "p99 ms"], rows))
    print(f"events / points requests = {ratio:.2f} (target >= 0.8)")
    print(
        f"event rows {event_rows} (incl. warm-up), credited rewards {credited_rewards}, "
        f"rule credits {rule_credits}, reconciliation issues {len(issues)}"
    )
    write_results(
        "events",
        {
            "command": "python -m benchmarks.events " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine_info(),
            "parameters": vars(args),
            "results": {
                "points_requests": points,
                "events": events,
                "ratio": ratio,
                "reconciliation_issues": len(issues),
            },
        },
    )
    ok = (
        set(events["statuses"]) == {"201"}
        and set(points["statuses"]) == {"201"}
        and event_rows == credited_rewards == rule_credits
        and answered_201 <= event_rows
        and not issues
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
