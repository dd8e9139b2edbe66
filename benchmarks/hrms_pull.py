"""An HRMS pull of N employees from a local fake SuccessFactors, against the push sync of the same records.

    python -m benchmarks.hrms_pull [--employees 100000] [--page-size 1000]

- pull: a SuccessFactors connection of a fresh organisation runs once, end to end, in this process (tasks
  in-process): N / page-size OData pages over HTTP from a fake server on 127.0.0.1 (a thread of this
  process, answering from rendered JSON it cached during a warm-up pull), each page mapped and staged in
  its own transaction, then the deactivation check and one users sync of every record (mode full).
- push: the same canonical records, into another fresh organisation, through users.services.employees_sync
  (mode upsert) in calls of 10,000 (the most `POST /api/v1/employees/sync/` takes), parsing included; no
  HTTP, so the baseline is the push's floor.
Target: the pull at least 0.7 of the push's rate. Both organisations must end with N active employees.
Rows stay in the database (organisations `bench-hrms-…`).
"""

import argparse
import os
import secrets
import sys
import time

from benchmarks.common import format_table, machine_info, setup_django, write_results

NAME = "hrms_pull"
PUSH_CALL = 10_000


def _organisation(kind: str):
    from plum.core.actor import Actor
    from users import services as users_services

    slug = f"bench-hrms-{kind}-{secrets.token_hex(3)}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name=slug)
    return Actor.system(organisation.id, label="benchmark")


def _pull(fake) -> tuple[float, object]:
    from integrations.hrms import services as hrms_services
    from integrations.hrms.commands import ConnectionCreate, ConnectionRef
    from integrations.hrms.models import Run

    actor = _organisation("pull")
    body = fake.connection()
    connection = hrms_services.connection_create(actor=actor, command=ConnectionCreate.parse(body))
    started = time.perf_counter()
    run = hrms_services.run_start(actor=actor, command=ConnectionRef.parse({"connection_id": str(connection.pk)}))
    seconds = time.perf_counter() - started  # tasks in-process: the run is over when run_start answers
    return seconds, Run.objects.get(pk=run.pk), actor


def _push(records: list[dict]) -> tuple[float, object]:
    from users import services as users_services
    from users.commands import EmployeesSync

    actor = _organisation("push")
    started = time.perf_counter()
    created = 0
    for first in range(0, len(records), PUSH_CALL):
        body = {"mode": "upsert", "source": "benchmark", "employees": records[first : first + PUSH_CALL]}
        created += users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body)).created
    return time.perf_counter() - started, created, actor


def _active(actor) -> int:
    from users.models import Employee

    return Employee.objects.filter(organisation_id=actor.organisation_id, status="active").count()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hrms_pull", description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/hrms_pull.json")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    os.environ.pop("REDIS_URL", None)  # the run's tasks in this process, so its end is run_start's answer
    setup_django()
    import logging

    from django.conf import settings

    for noisy in ("httpx", "werkzeug", "celery"):  # a line per page or task would drown the figures
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from integrations.hrms.tests.fakes import FakeSuccessFactors, fetch_all, make_people, start_vendor_server

    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = start_vendor_server()
    try:
        fake = FakeSuccessFactors(server, people=make_people(args.employees), page_size=args.page_size)
        pages = fetch_all(fake.spec())  # warm-up: the fake renders each person once; and the push's records
        records = [record for page in pages for record in page.records]
        pull_seconds, run, pull_actor = _pull(fake)
        push_seconds, pushed, push_actor = _push(records)
    finally:
        server.stop()

    n = args.employees
    checks = {
        "pull completed": run.status == "completed",
        "pull created every employee": run.created == n and run.fetched == n,
        "push created every employee": pushed == n,
        "both organisations hold N active employees": _active(pull_actor) == n == _active(push_actor),
    }
    checks["ok"] = all(checks.values())
    pull_rate, push_rate = n / pull_seconds, n / push_seconds
    ratio = pull_rate / push_rate
    print(f"\nHRMS pull of {n:,} employees (pages of {args.page_size:,}), {os.cpu_count()} cores")
    rows = [
        ["pull: SuccessFactors over HTTP, one run", f"{pull_seconds:.2f}", f"{pull_rate:,.0f}"],
        [f"push: employees_sync, calls of {PUSH_CALL:,}", f"{push_seconds:.2f}", f"{push_rate:,.0f}"],
    ]
    print(format_table(["what", "seconds", "employees/s"], rows))
    print(f"pull / push = {ratio:.3f} (target 0.7)")
    failed = [name for name, ok in checks.items() if not ok and name != "ok"]
    print("checks: " + ("all passed" if checks["ok"] else f"FAILED {', '.join(failed)}"))
    if not args.no_write:
        path = write_results(
            NAME,
            {
                "command": " ".join(["python -m benchmarks.hrms_pull", *(sys.argv[1:] if argv is None else argv)]),
                "machine": machine_info(),
                "parameters": vars(args),
                "results": {
                    "pull_seconds": pull_seconds,
                    "push_seconds": push_seconds,
                    "pull_per_second": pull_rate,
                    "push_per_second": push_rate,
                    "ratio": ratio,
                },
                "checks": checks,
            },
        )
        print(f"results: {path}")
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
