"""HTTP helpers for the read benchmarks (graphql_employees, reports_summary): gunicorn serving the project on
a port of their own, wrk against it, bearer tokens, and an in-process loop with the query count per call."""

import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta


def token(issued, scopes: str) -> str:
    """A bearer token of the API client `issued` (users.services.api_client_create's answer)."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    value = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        application=issued.client, token=value, scope=scopes, expires=timezone.now() + timedelta(hours=3)
    )
    return value


@contextmanager
def gunicorn(port: int, workers: int, threads: int):
    """The project (benchmarks.settings) on 127.0.0.1:`port`, as points_credit serves it; stopped on exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PLUM_CLIENT_RATE": "100000000/min",
        "PLUM_ALLOW_EPHEMERAL_SECRET": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "3600",
    }
    command = [sys.executable, "-m", "gunicorn", "plum.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    command += ["-k", "gthread", "--threads", str(threads), "--log-level", "warning", "--keep-alive", "75"]
    server = subprocess.Popen(command, env=env)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _lua(method: str, headers: dict, body: str | None) -> str:
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if body is not None:
        escaped = body.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        lines.append(f'wrk.body = "{escaped}"')
    return "\n".join(lines) + "\n"


def wrk(url: str, *, seconds: int, connections: int, method="GET", headers=None, body=None) -> dict:
    """wrk's requests/s and latency percentiles; non-2xx answers and socket errors counted as errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(method, headers or {}, body))
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script.name, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.MULTILINE))
    return {
        "requests": requests,
        "per_second": requests / seconds,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "p50": latency.get("50", "?"),
        "p90": latency.get("90", "?"),
        "p99": latency.get("99", "?"),
    }


def fetch(url: str, *, method="GET", headers=None, body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def in_process(call, *, warm_up: int, calls: int) -> dict:
    """`call()` (a Django test client request answering 200) `calls` times after `warm_up` calls: wall and
    CPU milliseconds per call (this process only: Python's share), and the queries of one call."""
    from django.db import connection

    for _ in range(warm_up):
        call()
    captured = []  # not CaptureQueriesContext: request_started resets the queries log it reads

    def record(execute, sql, params, many, context):
        captured.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    wall, cpu = [], []
    for _ in range(calls):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    return {
        "calls": calls,
        "queries_per_call": len(captured),
        "queries": [sql[:300] for sql in captured],
        "wall_ms_p50": percentile(wall, 50),
        "wall_ms_p95": percentile(wall, 95),
        "cpu_ms_mean": sum(cpu) / len(cpu),
    }


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
