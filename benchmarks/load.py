"""A load test to run before going live: locust users against gunicorn serving Plum, two organisations.

    python -m benchmarks.load [--users 200] [--seconds 60] [--workers 4] [--threads 4] [--keep]

Users split evenly between two organisations (each with its own token) mix REST single credits (40),
GraphQL reads of employees with wallets (15) and of points requests (15), voucher orders (15),
redemptions of vouchers issued to the user earlier (10) and batches of 50 credits (5). With REDIS_URL a
Celery worker processes the batches, as deployed; without it they run in the request's process. After
the load: every batch completed, the ledger and the stock reconciled, every 201 credit in the books once,
and neither organisation sees or touches the other's data. PASS needs an error rate under 0.1 %, no 5xx
and every check clean; otherwise it says why and exits 1. Its rows stay (the ledger is append-only)."""

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks import load_checks, load_prepare
from benchmarks.common import format_table, machine_info, setup_django, write_results

KINDS = ("credit", "graphql employees", "graphql points requests", "order", "redeem", "batch")
MAX_ERROR_RATE = 0.001
USERS_FILE = Path(__file__).with_name("load_users.py")
NO_CALLS = {"credited": 0, "credit_attempts": 0}  # the tally of an organisation none of whose users ran


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, help="users started per second (default: all within 5 s)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="seconds each user waits between its calls (default 0.5 1.5)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process (gthread)")
    # Longer than any user's pause. With gunicorn's default 2 s (as the Dockerfile and docker-compose.yml run it),
    # gunicorn 23's gthread loop, lagging on a busy machine, closed connections on which a request had already
    # arrived: 0.3-11 % of calls ended without an answer, with locust's client and with urllib3 alike.
    parser.add_argument("--keep-alive", type=int, default=75, help="gunicorn's keep-alive seconds (default 75)")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="worker processes (with REDIS_URL)")
    parser.add_argument("--employees", type=int, default=500, help="per organisation")
    parser.add_argument("--stock", type=int, default=3000, help="stock codes imported per organisation")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory: locust CSV/HTML, server logs")
    return parser.parse_args(argv)


def _client_rate(args) -> int:
    """Requests a minute one organisation's client may make: twice the most its users can send (each waits
    at least --think MIN between calls, 0.05 s at the least), so a run measures Plum, not its rate limit."""
    per_user = 60 / max(args.think[0], 0.05)
    return max(6000, math.ceil(math.ceil(args.users / 2) * per_user * 2))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _servers(args, workdir: Path, port: int) -> list[subprocess.Popen]:
    from django.conf import settings

    env = {
        **os.environ,
        # the harness's own keys: it imported the stock codes, the servers issue and redeem them
        "SECRET_KEY": settings.SECRET_KEY,
        "PLUM_VOUCHER_KEY": settings.VOUCHER_CODE_KEY,
        "DJANGO_SETTINGS_MODULE": "plum.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PLUM_CLIENT_RATE": f"{_client_rate(args)}/min",
        "DB_CONN_MAX_AGE": "60",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "plum.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers)]
    gunicorn += ["-k", "gthread", "--threads", str(args.threads), "--keep-alive", str(args.keep_alive)]
    gunicorn += ["--log-level", "warning"]
    started = [subprocess.Popen(gunicorn, env=env, stdout=_log(workdir, "gunicorn"), stderr=subprocess.STDOUT)]
    if os.environ.get("REDIS_URL"):
        celery = [sys.executable, "-m", "celery", "-A", "plum", "worker", "--loglevel", "WARNING"]
        celery += ["--concurrency", str(args.celery_concurrency), "--without-gossip", "--without-mingle"]
        started.append(subprocess.Popen(celery, env=env, stdout=_log(workdir, "celery"), stderr=subprocess.STDOUT))
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    _stop(started)
    raise SystemExit(f"gunicorn did not become ready: see {workdir / 'gunicorn.log'}")


def _log(workdir: Path, name: str):
    return open(workdir / f"{name}.log", "w")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _locust(args, base_url: str, orgs: list[dict], workdir: Path) -> dict:
    config, report = workdir / "config.json", workdir / "report.json"
    config.write_text(json.dumps({"organisations": orgs, "think_seconds": list(args.think)}))
    spawn_rate = args.spawn_rate or max(1.0, args.users / 5)
    command = [sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--headless", "--only-summary"]
    command += ["-u", str(args.users), "-r", str(spawn_rate), "-t", f"{args.seconds}s", "--host", base_url]
    command += ["--stop-timeout", "30", "--csv", str(workdir / "locust"), "--html", str(workdir / "locust.html")]
    command += ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    env = {**os.environ, "PLUM_LOAD_CONFIG": str(config), "PLUM_LOAD_REPORT": str(report)}
    subprocess.run(command, env=env, stdout=_log(workdir, "locust"), stderr=subprocess.STDOUT)
    if not report.exists():
        raise SystemExit(f"locust wrote no report: see {workdir / 'locust.log'}")
    return json.loads(report.read_text())


def _verdict(report: dict) -> tuple[list[str], dict]:
    total = report["total"]
    server_errors = sum(n for counts in report["statuses"].values() for code, n in counts.items() if int(code) >= 500)
    rate_limited = sum(counts.get("429", 0) for counts in report["statuses"].values())
    error_rate = total["failures"] / max(total["requests"], 1)
    problems = []
    if error_rate >= MAX_ERROR_RATE:
        problems.append(f"error rate {error_rate:.3%} (at most {MAX_ERROR_RATE:.1%})")
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    if rate_limited:
        problems.append(f"{rate_limited} answers 429: the run hit the rate limit, not the platform's capacity")
    if total["requests"] == 0:
        problems.append("no request was made")
    return problems, {"error_rate": error_rate, "server_errors": server_errors, "rate_limited": rate_limited}


def _table(report: dict) -> str:
    rows = []
    for name in [*KINDS, None]:
        figures = report["total"] if name is None else report["kinds"].get(name)
        if figures is None:
            continue
        rows.append(
            [
                name or "all",
                f"{figures['requests']:,}",
                f"{figures['requests_per_second']:,.1f}",
                str(figures["failures"]),
            ]
            + [f"{figures[p]:,.0f}" for p in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        )
    return format_table(["kind", "requests", "req/s", "failures", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)


def _drive(args, orgs: list[dict], workdir: Path) -> dict:
    """Servers up, tokens, wallets funded, the load, its batches finished, isolation probed; servers down."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    servers = _servers(args, workdir, port)
    try:
        for org in orgs:
            org["token"] = load_prepare.token(base_url, org)
        funding = {org["slug"]: load_prepare.wallets_fund(base_url, org) for org in orgs}
        funded = [d for org in orgs for d in load_prepare.batches_wait(base_url, org, [funding[org["slug"]]], 600)]
        if problems := load_checks.batch_problems(funded):
            raise SystemExit(f"funding the wallets failed: {problems}")
        print(
            f"{args.users} users for {args.seconds} s; gunicorn {args.workers}x{args.threads} gthread, keep-alive"
            f" {args.keep_alive} s; batches: {_batch_mode()}; rate limit {_client_rate(args):,}/min per client"
            f" (at least twice what {math.ceil(args.users / 2)} users pausing {args.think[0]} s can send);"
            f" {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} …",
            flush=True,
        )
        started = time.monotonic()
        report = _locust(args, base_url, orgs, workdir)
        report["locust_seconds"] = time.monotonic() - started
        tallies = report["organisations"]
        batches = []
        for org in orgs:
            org["unredeemed"] = tallies.get(org["slug"], {}).get("unredeemed", [])
            batches += load_prepare.batches_wait(base_url, org, tallies.get(org["slug"], {}).get("batches", []), 300)
        isolation = load_checks.isolation_problems(base_url, orgs)
    finally:
        _stop(servers)
    ids = [org["id"] for org in orgs]
    report["checks"] = {
        "batches": load_checks.batch_problems(batches),
        "ledger": load_checks.ledger_problems(ids),
        "stock": load_checks.stock_problems(ids),
        "credits": [p for org in orgs for p in load_checks.credit_problems(org, tallies.get(org["slug"], NO_CALLS))],
        "isolation": isolation,
    }
    report["batches_checked"] = len(batches)
    return report


def _batch_mode() -> str:
    return "Celery worker (REDIS_URL)" if os.environ.get("REDIS_URL") else "in-process (no REDIS_URL: not as deployed)"


def main(argv=None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    # One key for every process (the harness imports stock codes, gunicorn and the worker read them).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("PLUM_VOUCHER_KEY", load_prepare.voucher_key())
    setup_django()
    workdir = Path(tempfile.mkdtemp(prefix="plum-load-"))
    run = secrets.token_hex(3)
    print(f"Preparing two organisations (load-{run}-a, load-{run}-b), {args.employees} employees each …", flush=True)
    orgs = load_prepare.organisations_create(run, args.employees, args.stock)
    report = _drive(args, orgs, workdir)
    problems, figures = _verdict(report)
    problems += [p for found in report["checks"].values() for p in found]
    print(_table(report))
    print(
        f"error rate {figures['error_rate']:.3%}, 5xx {figures['server_errors']}, 429 {figures['rate_limited']};"
        f" {report['batches_checked']} batches checked; locust ran {report['locust_seconds']:.0f} s"
        " (ramp-up and stop included)"
    )
    for sample in report["failure_samples"][:5]:
        print(
            f"failed {sample['kind']} ({sample['idle_seconds_before']} s after this user's previous answer):"
            f" {sample['problem']}\n  sent {sample['request']}\n  got {sample['answer']}"
        )
    print("PASS" if not problems else "FAIL:\n  " + "\n  ".join(problems[:20]))
    write_results(
        "load",
        {
            "command": "python -m benchmarks.load " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": {**machine_info(), "load_average_after": os.getloadavg()},
            "parameters": {**vars(args), "batches": _batch_mode(), "client_rate_per_minute": _client_rate(args)},
            "results": {**report, **figures},
            "passed": not problems,
            "problems": problems,
        },
    )
    if args.keep:
        print(f"run directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
