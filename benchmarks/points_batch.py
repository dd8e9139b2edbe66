"""A points batch end to end (submit to completed) against one set-based SQL statement, in the same run.

    python -m benchmarks.points_batch [--size 100000] [--employees 10000] [--chunk-size N]
                                      [--celery-workers K]

- batch: points.services.points_batch_create with N credits (one per item, spread over the employees'
  wallets, programme without approval threshold), then processed by the code a worker runs. By default
  in-process: Celery runs eagerly, so the job runner's task plum.core.jobs.run_job runs inside the
  submitting process right after the commit, as it does when REDIS_URL is unset. With --celery-workers K (and
  REDIS_URL set) K real `celery -A plum worker` processes take the messages, and the benchmark polls the
  batch until it is completed. Timed from the call to points_batch_create until the batch is completed.
- baseline: on a second fresh organisation in the same state, ONE statement crediting the same wallets
  with the same amounts: UPDATE points_account SET balance = balance + v.points FROM (unnest(...)).
  No requests, lots, ledger or outbox: that is the batch path's extra work, and the gap.

Afterwards: the batch is completed with every item credited, each item has its own request (credited,
with lot and ledger transaction), each transaction's entries sum to zero, one outbox event per request,
the wallets of both organisations hold the same balances, and ledger_reconcile finds nothing for the
organisation (the baseline's wallets, which have no entries, are set back to zero first). The ledger is
append-only (triggers refuse DELETE), so the benchmark's rows stay.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid

from benchmarks.common import Timer, format_table, machine_info, setup_django, write_results

NAME = "points_batch"
SLUG_PREFIX = "bench-points-batch-"
TARGET_RATIO = 0.5
PROGRAMME = "BENCH"


def _organisation(label: str, employees: int):
    """A new organisation with `employees` active employees, their wallets and a funded programme."""
    from django.db import connection

    from plum.core.actor import Actor
    from points import services as points_services
    from points.commands import ProgrammeCommand, ProgrammeTopupCommand
    from users import services as users_services
    from users.commands import EmployeesSync

    slug = f"{SLUG_PREFIX}{label}-{uuid.uuid4().hex[:8]}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name=f"Benchmark {label}")
    actor = Actor.system(organisation.id, label="benchmark")
    records = [
        {"employee_id": f"E{n:06d}", "email": f"e{n}@bench.example", "first_name": "B", "last_name": "E"}
        for n in range(employees)
    ]
    body = {"mode": "upsert", "source": "bench", "employees": records}
    users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body, max_records=max(employees, 1)))
    programme = {"code": PROGRAMME, "name": "Benchmark", "max_points_per_request": 1000}
    points_services.programme_create(actor=actor, command=ProgrammeCommand.parse(programme))
    funding = ProgrammeTopupCommand.parse({"programme": PROGRAMME, "points": 1_000_000_000})
    points_services.programme_topup(actor=actor, command=funding)
    with connection.cursor() as cursor:  # wallets exist, as in a live organisation: both sides update them
        cursor.execute(
            "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
            " SELECT organisation_id, 'wallet', id, 0, now() FROM users_employee WHERE organisation_id = %s"
            " ORDER BY id",
            [organisation.id],
        )
    return organisation, actor


def _requests(size: int, employees: int, prefix: str) -> list[dict]:
    return [
        {
            "request_id": f"{prefix}-{i:07d}",
            "employee_id": f"E{i % employees:06d}",
            "points": 1 + i % 50,
            "programme": PROGRAMME,
            "reason": "Benchmark",
        }
        for i in range(size)
    ]


# --- The batch ---------------------------------------------------------------------------------------


def _batch_command(requests: list[dict]):
    """Parsed inside the timed part, as the REST door parses the body before calling the service."""
    from points.commands import PointsBatchCommand

    return PointsBatchCommand.parse({"batch_id": f"bench-{uuid.uuid4().hex[:8]}", "requests": requests})


def _run_batch_in_process(actor, requests: list[dict], chunk_size: int | None) -> dict:
    """Eager Celery: the commit of points_batch_create runs plum.core.jobs.run_job in this process."""
    from celery import current_app
    from celery.signals import task_prerun

    from points.models import PointsBatch
    from points.services import points_batch_create
    from points.services.batches import BATCH_JOBS

    current_app.conf.CELERY_TASK_ALWAYS_EAGER = True  # the key the Django settings set (namespace CELERY) wins
    first_task = []
    task_prerun.connect(lambda **_: first_task.append(time.perf_counter()) if not first_task else None, weak=False)
    original = BATCH_JOBS.chunk_size
    if chunk_size:  # the kind's chunk size, used by the messages points_batch_create sends
        BATCH_JOBS.chunk_size = chunk_size
    try:
        start = time.perf_counter()
        created = points_batch_create(actor=actor, command=_batch_command(requests))
        end = time.perf_counter()
    finally:
        BATCH_JOBS.chunk_size = original
    batch = PointsBatch.objects.get(pk=created.batch.pk)
    submit = (first_task[0] - start) if first_task else None
    return {"batch": batch, "seconds": end - start, "submit_seconds": submit, "mode": "in-process (eager Celery)"}


def _run_batch_celery(actor, requests: list[dict], workers: int) -> dict:
    """Real workers: `celery -A plum worker` processes started here, fed through Redis."""
    from points.models import PointsBatch
    from points.services import points_batch_create

    procs = _start_workers(workers)
    try:
        start = time.perf_counter()
        created = points_batch_create(actor=actor, command=_batch_command(requests))
        submitted = time.perf_counter()
        while True:
            batch = PointsBatch.objects.get(pk=created.batch.pk)
            if batch.status in (PointsBatch.Status.COMPLETED, PointsBatch.Status.FAILED):
                break
            time.sleep(0.02)
        end = time.perf_counter()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    mode = f"{workers} celery worker process(es), concurrency 1 each, via Redis"
    return {"batch": batch, "seconds": end - start, "submit_seconds": submitted - start, "mode": mode}


def _start_workers(count: int) -> list[subprocess.Popen]:
    from celery import current_app

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "plum.settings", "PLUM_ALLOW_EPHEMERAL_SECRET": "1", "DEBUG": "0"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "plum",
                "worker",
                "-c",
                "1",
                "-n",
                f"bench{n}-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
        )
        for n in range(count)
    ]
    for _ in range(150):
        if len(current_app.control.ping(timeout=0.5) or []) >= count:
            return procs
        time.sleep(0.2)
    for proc in procs:
        proc.kill()
    raise SystemExit("celery workers did not start")


# --- The baseline ------------------------------------------------------------------------------------


def _run_baseline(organisation, requests: list[dict]) -> float:
    """One UPDATE crediting every wallet its total, from arrays of employee ids and points; one commit."""
    from django.db import connection, transaction

    from users.models import Employee

    employee_pk = dict(Employee.objects.filter(organisation=organisation).values_list("employee_id", "pk"))
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        employees = "{" + ",".join([str(employee_pk[r["employee_id"]]) for r in requests]) + "}"
        points = "{" + ",".join([str(r["points"]) for r in requests]) + "}"
        cursor.execute(
            "UPDATE points_account a SET balance = a.balance + v.points"
            " FROM (SELECT e, SUM(p) AS points FROM unnest(%s::uuid[], %s::bigint[]) AS u(e, p) GROUP BY e) v"
            " WHERE a.kind = 'wallet' AND a.employee_id = v.e",
            [employees, points],
        )
    return timer.seconds


LEDGER_BASELINE_SQL = """
WITH items AS (
    SELECT * FROM unnest(%(employees)s::uuid[], %(points)s::bigint[], %(request_ids)s::text[], %(requests)s::uuid[],
                         %(lots)s::uuid[], %(txns)s::uuid[]) AS i(employee_id, points, request_id, req, lot, txn)
), wallets AS (
    UPDATE points_account a SET balance = a.balance + s.total
    FROM (SELECT employee_id, SUM(points) AS total FROM items GROUP BY employee_id) s
    WHERE a.kind = 'wallet' AND a.employee_id = s.employee_id
    RETURNING a.id, a.employee_id
), budget AS (
    UPDATE points_account SET balance = balance - (SELECT SUM(points) FROM items) WHERE id = %(shard)s RETURNING id
), txns AS (
    INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)
    SELECT txn, %(org)s, 'award', request_id, '', now() FROM items
), entries AS (
    INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference, created_at)
    SELECT gen_random_uuid(), i.txn, w.id, i.points, NULL::bigint, i.request_id, now()
    FROM items i JOIN wallets w USING (employee_id)
    UNION ALL
    SELECT gen_random_uuid(), txn, %(shard)s, -points, NULL::bigint, request_id, now() FROM items
), lots AS (
    INSERT INTO points_lot (id, organisation_id, account_id, points, remaining, expires_at, created_at)
    SELECT i.lot, %(org)s, w.id, i.points, i.points, now() + interval '365 days', now()
    FROM items i JOIN wallets w USING (employee_id)
), reqs AS (
    INSERT INTO points_pointsrequest (id, organisation_id, request_id, fingerprint, employee_id, programme_id, points,
        reason, source, metadata, status, transaction_id, lot_id, credited_at, decided_by, decision_note,
        reversal_reason, created_at, updated_at)
    SELECT req, %(org)s, request_id, '', employee_id, %(programme)s, points, '', '', '{}', 'credited', txn, lot,
        now(), '', '', '', now(), now() FROM items
), events AS (
    INSERT INTO core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload,
        created_at)
    SELECT gen_random_uuid(), %(org)s, 'points_request.credited', 'points_request', req::text, '{}', now() FROM items
)
SELECT COUNT(*) FROM items
"""


def _run_ledger_baseline(organisation, requests: list[dict]) -> float:
    """ONE statement writing what the batch writes per credit (request, lot, balanced transaction and its
    entries, event; wallets and one budget shard updated), checked by the same triggers at commit.
    Simpler than the batch: no balance_after, no validation, no per-item outcome, one shard."""
    from django.db import connection, transaction

    from points.models import Account, Programme
    from users.models import Employee

    employee_pk = dict(Employee.objects.filter(organisation=organisation).values_list("employee_id", "pk"))
    programme = Programme.objects.get(organisation=organisation, code=PROGRAMME)
    shard = Account.objects.filter(programme=programme, kind="budget").order_by("-balance").first()
    fresh = [uuid.uuid4() for _ in range(3 * len(requests))]
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            LEDGER_BASELINE_SQL,
            {
                "employees": [employee_pk[r["employee_id"]] for r in requests],
                "points": [r["points"] for r in requests],
                "request_ids": [r["request_id"] for r in requests],
                "requests": fresh[0::3],
                "lots": fresh[1::3],
                "txns": fresh[2::3],
                "shard": shard.pk,
                "org": organisation.pk,
                "programme": programme.pk,
            },
        )
    return timer.seconds


# --- Checks ------------------------------------------------------------------------------------------


def _verify(batch, organisation, baseline_organisation, size: int) -> dict:
    """Every item credited exactly once, with request, lot, balanced transaction and event; reconciled."""
    from plum.core.db import fetchone
    from points.services import ledger_reconcile

    org, batch_uuid = organisation.pk, batch.pk
    facts = {
        "status": batch.status,
        "credited_counter": batch.credited,
        "items_credited": fetchone(
            "SELECT count(*) FROM points_pointsbatchitem WHERE batch_id = %s AND status = 'credited'", [batch_uuid]
        )[0],
        "distinct_requests": fetchone(
            "SELECT count(DISTINCT points_request_id) FROM points_pointsbatchitem WHERE batch_id = %s", [batch_uuid]
        )[0],
        "requests_complete": fetchone(
            "SELECT count(*) FROM points_pointsrequest r JOIN points_lot l ON l.id = r.lot_id"
            " JOIN points_ledgertransaction t ON t.id = r.transaction_id"
            " WHERE r.batch_id = %s AND r.status = 'credited' AND l.points = r.points",
            [batch_uuid],
        )[0],
        "requests_total": fetchone("SELECT count(*) FROM points_pointsrequest WHERE batch_id = %s", [batch_uuid])[0],
        "unbalanced_transactions": fetchone(
            "SELECT count(*) FROM (SELECT e.transaction_id FROM points_ledgerentry e"
            " JOIN points_pointsrequest r ON r.transaction_id = e.transaction_id WHERE r.batch_id = %s"
            " GROUP BY e.transaction_id HAVING SUM(e.amount) <> 0 OR count(*) < 2) x",
            [batch_uuid],
        )[0],
        "credited_events": fetchone(
            "SELECT count(*) FROM core_outboxevent WHERE organisation_id = %s"
            " AND event_type = 'points_request.credited'",
            [org],
        )[0],
        "wallets_differing_from_baseline": fetchone(
            "SELECT count(*) FROM (SELECT e.employee_id, a.balance FROM points_account a"
            " JOIN users_employee e ON e.id = a.employee_id WHERE a.organisation_id = %s AND a.kind = 'wallet') x"
            " FULL JOIN (SELECT e.employee_id, a.balance FROM points_account a"
            " JOIN users_employee e ON e.id = a.employee_id WHERE a.organisation_id = %s AND a.kind = 'wallet') y"
            " ON x.employee_id = y.employee_id WHERE x.balance IS DISTINCT FROM y.balance",
            [org, baseline_organisation.pk],
        )[0],
    }
    # The baseline credited wallets without ledger entries: back to zero, so reconciliation stays quiet.
    fetchone(
        "WITH z AS (UPDATE points_account SET balance = 0 WHERE organisation_id = %s AND kind = 'wallet'"
        " RETURNING 1) SELECT count(*) FROM z",
        [baseline_organisation.pk],
    )
    facts["reconciliation_issues"] = len([i for i in ledger_reconcile() if i.organisation_id == org])
    expected = {
        "status": "completed",
        "credited_counter": size,
        "items_credited": size,
        "distinct_requests": size,
        "requests_complete": size,
        "requests_total": size,
        "unbalanced_transactions": 0,
        "credited_events": size,
        "wallets_differing_from_baseline": 0,
        "reconciliation_issues": 0,
    }
    facts["ok"] = all(facts[k] == v for k, v in expected.items())
    facts["failed_checks"] = [k for k, v in expected.items() if facts[k] != v]
    return facts


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.points_batch", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="credits in the batch (at most 100,000)")
    parser.add_argument("--employees", type=int, default=10_000, help="employees (wallets) they are spread over")
    parser.add_argument("--chunk-size", type=int, default=None, help="items per chunk (default: the service's)")
    parser.add_argument(
        "--celery-workers",
        type=int,
        default=0,
        help="start this many `celery -A plum worker` processes (needs REDIS_URL); default 0: in-process",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results/points_batch.json alone")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.celery_workers and not os.environ.get("REDIS_URL"):
        print("--celery-workers needs REDIS_URL (the broker)", file=sys.stderr)
        return 2
    setup_django()
    from points.services.batches import BATCH_JOBS

    organisation, actor = _organisation("batch", args.employees)
    baseline_organisation, _ = _organisation("baseline", args.employees)
    ledger_organisation, _ = _organisation("ledger-baseline", args.employees)
    requests = _requests(args.size, args.employees, uuid.uuid4().hex[:8])

    if args.celery_workers:
        run = _run_batch_celery(actor, requests, args.celery_workers)
    else:
        run = _run_batch_in_process(actor, requests, args.chunk_size)
    baseline_seconds = _run_baseline(baseline_organisation, requests)
    ledger_seconds = _run_ledger_baseline(ledger_organisation, requests)
    batch = run["batch"]
    checks = _verify(batch, organisation, baseline_organisation, args.size)

    batch_rate, baseline_rate = args.size / run["seconds"], args.size / baseline_seconds
    ratio = batch_rate / baseline_rate
    chunk_size = args.chunk_size or BATCH_JOBS.chunk_size
    rows = [
        ["batch (submit to completed)", run["mode"], f"{run['seconds']:.2f}", f"{batch_rate:,.0f}"],
        ["baseline: one UPDATE", "one statement, one commit", f"{baseline_seconds:.3f}", f"{baseline_rate:,.0f}"],
        [
            "baseline: same ledger rows",
            "one statement, one commit",
            f"{ledger_seconds:.3f}",
            f"{args.size / ledger_seconds:,.0f}",
        ],
    ]
    print(
        f"\nPoints batch of {args.size:,} credits over {args.employees:,} wallets, chunks of {chunk_size:,},"
        f" {os.cpu_count()} cores"
    )
    print(format_table(["what", "how", "seconds", "credits/s"], rows))
    if run["submit_seconds"] is not None:
        print(f"of which submit (store batch and items) {run['submit_seconds']:.2f} s")
    met = ratio >= TARGET_RATIO
    print(f"batch / baseline = {ratio:.3f} (target >= {TARGET_RATIO}: {'met' if met else 'NOT met'})")
    ledger_ratio = batch_rate / (args.size / ledger_seconds)
    print(f"batch / same-ledger-rows baseline = {ledger_ratio:.3f}")
    print("checks: " + ("all passed" if checks["ok"] else f"FAILED {', '.join(checks['failed_checks'])}"))
    print("The ledger is append-only: the benchmark's organisations and rows stay in the database.")
    if not args.no_write:
        path = write_results(
            NAME,
            {
                "command": " ".join(["python -m benchmarks.points_batch", *(sys.argv[1:] if argv is None else argv)]),
                "machine": machine_info(),
                "parameters": {**vars(args), "chunk_size": chunk_size, "mode": run["mode"]},
                "results": {
                    "batch_seconds": run["seconds"],
                    "submit_seconds": run["submit_seconds"],
                    "batch_credits_per_second": batch_rate,
                    "baseline_seconds": baseline_seconds,
                    "baseline_credits_per_second": baseline_rate,
                    "ledger_baseline_seconds": ledger_seconds,
                    "ledger_baseline_credits_per_second": args.size / ledger_seconds,
                    "ratio_to_ledger_baseline": ledger_ratio,
                    "ratio": ratio,
                    "target_ratio": TARGET_RATIO,
                    "target_met": met,
                    "checks": checks,
                },
            },
        )
        print(f"wrote {path}")
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
