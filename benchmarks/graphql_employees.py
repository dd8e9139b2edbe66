"""A GraphQL page of 100 employees with their wallets, against the DRF list of the same 100 employees.

    python -m benchmarks.graphql_employees [--employees 1000] [--seconds 15] [--connections 16]
                                           [--workers 4] [--threads 4] [--calls 300]

Issue 18: "A GraphQL list of 100 employees with 5 fields and their wallets, against the DRF list of the
same rows in the same run; goal at least 0.8 of DRF's requests per second."

- graphql + wallets: POST /graphql/ `employees(first: 100)` with employeeId, email, firstName, lastName,
  businessUnit and `wallet { balance expiring { points expiresAt } }` (Employee.wallet, page-batched).
- graphql, no wallets: the same five fields only.
- DRF: GET /api/v1/employees/?page_size=100, the same 100 employees (ordered by employee_id) with all 17
  fields of the REST employee. The REST list has no wallets: a wallet is GET /api/v1/wallets/{id}/, one
  call per employee, so "the DRF list of the same rows" is the list alone (the GraphQL side does more).
Each target is served by the same gunicorn (`workers` x `threads`, gthread) and loaded by wrk for `seconds`
with `connections` keep-alive connections and a bearer token (scopes employees:read points:read). Then
each runs `calls` times in this process through Django's test client after a warm-up: queries per call,
wall and CPU milliseconds per call (no competition from wrk or other workers). Needs `wrk`.
The organisation (`bench-gql-…`) and its ledger rows stay in the database.
"""

import argparse
import json
import os
import secrets
import shutil
import sys

from benchmarks.common import format_table, machine_info, setup_django, write_results
from benchmarks.httpbench import fetch, gunicorn, in_process, token, wrk

NAME = "graphql_employees"
PORT = 8093
PAGE = 100
SCOPES = "employees:read points:read"
FIELDS = "employeeId email firstName lastName businessUnit"
WALLET = "wallet { balance expiring { points expiresAt } }"
GOAL = 0.8


def graphql_body(with_wallets: bool) -> str:
    selection = f"{FIELDS} {WALLET}" if with_wallets else FIELDS
    return json.dumps({"query": f"{{ employees(first: {PAGE}) {{ edges {{ node {{ {selection} }} }} }} }}"})


def _prepare(employees: int):
    """An organisation of `employees` employees in 10 business units, each with three credits: two from a
    programme whose points last 30 days (so `expiring` lists them), one from a programme of 365 days."""
    from plum.core.actor import Actor
    from points import services as points_services
    from points.commands import PointsRequestCommand, ProgrammeCommand, ProgrammeTopupCommand
    from users import services as users_services
    from users.commands import ApiClientCreate, EmployeesSync

    slug = f"bench-gql-{secrets.token_hex(3)}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name=slug)
    actor = Actor.system(organisation.id, label="benchmark")
    records = [
        {
            "employee_id": f"G{n:05d}",
            "email": f"g{n}@bench.example",
            "first_name": "Bench",
            "last_name": f"Person {n}",
            "business_unit": f"BU{n % 10:02d}",
            "department": "Engineering",
            "country": "IN",
        }
        for n in range(employees)
    ]
    body = {"mode": "upsert", "source": "bench", "employees": records}
    users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body, max_records=employees))
    for code, days in (("SHORT", 30), ("LONG", 365)):
        programme = {"code": code, "name": code, "max_points_per_request": 1000, "points_validity_days": days}
        points_services.programme_create(actor=actor, command=ProgrammeCommand.parse(programme))
        topup = {"programme": code, "points": 100_000_000}
        points_services.programme_topup(actor=actor, command=ProgrammeTopupCommand.parse(topup))
    for record in records:
        for n, code in enumerate(("SHORT", "SHORT", "LONG")):
            request = {
                "request_id": f"{record['employee_id']}-{n}",
                "employee_id": record["employee_id"],
                "programme": code,
                "points": 10 + n,
            }
            points_services.points_request_submit(actor=actor, command=PointsRequestCommand.parse(request))
    client = ApiClientCreate(name="bench", allowed_scopes=SCOPES.split())
    issued = users_services.api_client_create(organisation=organisation, command=client)
    return organisation, issued


def _check_answers(base: str, bearer: str) -> dict:
    """Each target answers 200 with the same 100 employees; the GraphQL page has wallets with lots."""
    auth = {"Authorization": f"Bearer {bearer}"}
    sizes, ids = {}, {}
    status, drf = fetch(f"{base}/api/v1/employees/?page_size={PAGE}", headers=auth)
    if status != 200:
        raise SystemExit(f"DRF list answered {status}: {drf[:300]!r}")
    ids["drf"] = [e["employee_id"] for e in json.loads(drf)["results"]]
    sizes["drf"] = len(drf)
    for name, with_wallets in (("graphql_wallets", True), ("graphql", False)):
        headers = {**auth, "Content-Type": "application/json"}
        status, raw = fetch(
            f"{base}/graphql/", method="POST", headers=headers, body=graphql_body(with_wallets).encode()
        )
        answer = json.loads(raw)
        if status != 200 or answer.get("errors"):
            raise SystemExit(f"GraphQL answered {status}: {raw[:300]!r}")
        nodes = [edge["node"] for edge in answer["data"]["employees"]["edges"]]
        ids[name] = [n["employeeId"] for n in nodes]
        sizes[name] = len(raw)
        if with_wallets and not all(n["wallet"]["balance"] == 33 and len(n["wallet"]["expiring"]) == 2 for n in nodes):
            raise SystemExit("a wallet of the GraphQL page is not the one credited")
    if not (len(ids["drf"]) == PAGE and ids["drf"] == ids["graphql"] == ids["graphql_wallets"]):
        raise SystemExit("the targets did not answer the same 100 employees")
    return sizes


def _in_process(bearer: str, calls: int) -> dict:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")

    def graphql(with_wallets):
        def call():
            answer = client.post("/graphql/", graphql_body(with_wallets), content_type="application/json")
            assert answer.status_code == 200 and b'"errors"' not in answer.content, answer.content[:300]

        return call

    def drf():
        answer = client.get(f"/api/v1/employees/?page_size={PAGE}")
        assert answer.status_code == 200, answer.content[:300]

    warm = max(calls // 10, 5)
    return {
        "graphql_wallets": in_process(graphql(True), warm_up=warm, calls=calls),
        "graphql": in_process(graphql(False), warm_up=warm, calls=calls),
        "drf": in_process(drf, warm_up=warm, calls=calls),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{NAME}")
    parser.add_argument("--employees", type=int, default=1000, help="in the organisation (the page lists 100)")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=300, help="in-process calls per target")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.employees < PAGE:
        parser.error(f"--employees must be at least {PAGE}")
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    setup_django()
    organisation, issued = _prepare(args.employees)
    bearer = token(issued, SCOPES)
    auth = {"Authorization": f"Bearer {bearer}"}
    post = {**auth, "Content-Type": "application/json"}
    load = {"seconds": args.seconds, "connections": args.connections}
    with gunicorn(PORT, args.workers, args.threads) as base:
        sizes = _check_answers(base, bearer)
        drf_url = f"{base}/api/v1/employees/?page_size={PAGE}"
        wrk(drf_url, seconds=3, connections=args.connections, headers=auth)  # warm-up: imports, connections
        wrk(
            f"{base}/graphql/",
            seconds=3,
            connections=args.connections,
            method="POST",
            headers=post,
            body=graphql_body(True),
        )
        served = {
            "drf": wrk(drf_url, **load, headers=auth),
            "graphql_wallets": wrk(f"{base}/graphql/", **load, method="POST", headers=post, body=graphql_body(True)),
            "graphql": wrk(f"{base}/graphql/", **load, method="POST", headers=post, body=graphql_body(False)),
        }
    local = _in_process(bearer, args.calls)

    labels = {
        "graphql_wallets": "GraphQL: 5 fields + wallet",
        "graphql": "GraphQL: 5 fields",
        "drf": "DRF list: 17 fields, no wallet",
    }
    rows = [
        [
            labels[k],
            f"{served[k]['per_second']:,.0f}",
            str(served[k]["errors"]),
            served[k]["p50"],
            served[k]["p99"],
            str(local[k]["queries_per_call"]),
            f"{local[k]['cpu_ms_mean']:.1f}",
            f"{local[k]['wall_ms_p50']:.1f}",
            f"{sizes[k]:,}",
        ]
        for k in ("graphql_wallets", "graphql", "drf")
    ]
    ratio = served["graphql_wallets"]["per_second"] / served["drf"]["per_second"]
    ratio_plain = served["graphql"]["per_second"] / served["drf"]["per_second"]
    ratio_cpu = local["drf"]["cpu_ms_mean"] / local["graphql_wallets"]["cpu_ms_mean"]
    print(
        f"\n{PAGE} employees of {args.employees}, wrk {args.connections} connections x {args.seconds} s, gunicorn"
        f" {args.workers}x{args.threads} gthread, {os.cpu_count()} cores (shared); in-process: {args.calls} calls"
    )
    headers = ["target", "req/s", "errors", "p50", "p99", "queries", "CPU ms", "wall ms p50", "bytes"]
    print(format_table(headers, rows))
    met = ratio >= GOAL
    print(f"GraphQL with wallets / DRF = {ratio:.2f} (goal >= {GOAL}: {'met' if met else 'NOT met'})")
    print(
        f"GraphQL without wallets / DRF = {ratio_plain:.2f};"
        f" in-process CPU, DRF / GraphQL with wallets = {ratio_cpu:.2f}"
    )
    errors = sum(s["errors"] for s in served.values())
    write_results(
        NAME,
        {
            "command": f"python -m benchmarks.{NAME} " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine_info(),
            "parameters": vars(args),
            "what": {
                "graphql_wallets": graphql_body(True),
                "graphql": graphql_body(False),
                "drf": f"GET /api/v1/employees/?page_size={PAGE} (17 fields an employee, no wallet)",
            },
            "results": {
                "served": served,
                "in_process": local,
                "answer_bytes": sizes,
                "ratio_graphql_wallets_to_drf": ratio,
                "ratio_graphql_to_drf": ratio_plain,
                "in_process_cpu_ratio_drf_to_graphql_wallets": ratio_cpu,
                "goal": GOAL,
                "goal_met": met,
            },
        },
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
