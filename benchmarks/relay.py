"""Outbound webhooks end to end (outbox → relay → dispatch → signed POST → recorded) against a bare loop of
signed httpx posts to the same receiver, in the same run.

    python -m benchmarks.relay [--events 100000] [--celery-workers K] [--no-write]

- receiver: a threaded HTTP/1.1 server on 127.0.0.1 in a process of its own (keep-alive, answers 200 at
  once); it counts the requests and the distinct webhook-ids it saw.
- plum: N outbox events (COPY, as a sync or a campaign writes them) for an organisation with one subscription
  to the receiver, then the real code: integrations.webhooks.tasks.relay_outbox_task and
  dispatch_deliveries_task until every delivery is delivered. By default in-process (eager Celery: the
  relay's dispatch sends each claimed chunk right after its commit, one POST after another, in this one
  thread); with --celery-workers K (and REDIS_URL) K `celery -A plum worker` processes of concurrency 4 take
  the messages while this process runs the relay and the dispatcher as beat would. Timed from the first
  relay until the last delivery is recorded delivered. Every delivery checked delivered, with one attempt,
  and the receiver must have seen every event id.
- baseline: the same number of bodies of the same size, each signed with standardwebhooks and POSTed with
  one httpx.Client in a plain loop (keep-alive), no database: the floor for one sender.
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid

from benchmarks.common import Timer, format_table, machine_info, setup_django, write_results

NAME = "relay"
SLUG_PREFIX = "bench-relay-"


# --- The receiver ------------------------------------------------------------------------------------


def _serve(port_out, stop, counts_out) -> None:
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Lock, Thread

    seen, lock, total = set(), Lock(), [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a load balancer

        def setup(self):
            super().setup()
            # headers and body leave in two writes: without this, Nagle and delayed ACKs add 40 ms to each
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                total[0] += 1
                seen.add(self.headers.get("webhook-id"))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Thread(target=server.serve_forever, daemon=True).start()
    port_out.send(server.server_port)
    while not stop.wait(0.2):
        pass
    with lock:
        counts_out.send((total[0], len(seen)))
    server.shutdown()


class Receiver:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        port_in, port_out = context.Pipe()
        self._counts_in, counts_out = context.Pipe()
        self._stop = context.Event()
        self.process = context.Process(target=_serve, args=(port_out, self._stop, counts_out), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{port_in.recv()}/hook"

    def counts(self) -> tuple[int, int]:
        """Stop the receiver; (requests, distinct webhook-ids)."""
        self._stop.set()
        counts = self._counts_in.recv()
        self.process.join(10)
        return counts


# --- Plum's path -------------------------------------------------------------------------------------


def _organisation_with_subscription(url: str):
    from integrations.webhooks.models import Subscription
    from plum.core.keys import new_webhook_secret, seal
    from users import services as users_services

    slug = f"{SLUG_PREFIX}{uuid.uuid4().hex[:8]}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name="Benchmark relay")
    subscription = Subscription.objects.create(
        organisation=organisation,
        url=url,
        events=["employee.updated"],
        secret_sealed=seal(new_webhook_secret(), organisation.id),
    )
    return organisation, subscription


def _payload(n: int) -> dict:
    """An employee document's shape and size (about 400 bytes)."""
    return {
        "employee_id": f"E{n:07d}",
        "email": f"employee{n}@bench.example",
        "first_name": "Benchmark",
        "last_name": f"Employee {n}",
        "status": "active",
        "business_unit": "BU-Operations",
        "cost_centre": "CC-1234",
        "country": "DE",
        "department": "Logistics",
        "role": "Specialist",
        "manager_employee_id": "E0000001",
        "hire_date": "2021-04-01",
        "exit_date": None,
        "updated_at": "2026-12-07T08:00:00Z",
    }


def _emit(organisation_id, events: int) -> None:
    from django.db import transaction

    from plum.core.outbox import outbox_copy_json

    for start in range(0, events, 10_000):
        rows = [(f"E{n:07d}", json.dumps(_payload(n))) for n in range(start, min(events, start + 10_000))]
        with transaction.atomic():
            outbox_copy_json(
                organisation_id=organisation_id, event_type="employee.updated", aggregate_type="employee", events=rows
            )


def _undelivered(subscription) -> int:
    from integrations.webhooks.models import Delivery

    return Delivery.objects.filter(subscription=subscription).exclude(state="delivered").count()


def _run_in_process(subscription, events: int) -> tuple[float, str]:
    from celery import current_app

    from integrations.webhooks.tasks import dispatch_deliveries_task, relay_outbox_task

    current_app.conf.CELERY_TASK_ALWAYS_EAGER = True  # the key the Django settings set (namespace CELERY) wins
    with Timer() as timer:
        while relay_outbox_task() or dispatch_deliveries_task():
            pass
    return timer.seconds, "in-process (eager Celery), one thread"


def _run_celery(subscription, events: int, workers: int) -> tuple[float, str]:
    from integrations.webhooks.tasks import dispatch_deliveries_task, relay_outbox_task

    procs = _start_workers(workers)
    try:
        with Timer() as timer:
            relay_outbox_task.delay()
            last_dispatch = time.monotonic()
            while _undelivered(subscription) or not _relayed():
                time.sleep(0.2)
                relay_outbox_task.delay()  # beat's every second, roughly
                if time.monotonic() - last_dispatch > 5:
                    dispatch_deliveries_task.delay()
                    last_dispatch = time.monotonic()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
    return timer.seconds, f"{workers} celery worker process(es), concurrency 4 each, via Redis"


def _relayed() -> bool:
    from plum.core.models import OutboxEvent

    return not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def _start_workers(count: int) -> list[subprocess.Popen]:
    from celery import current_app

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "plum.settings", "PLUM_ALLOW_EPHEMERAL_SECRET": "1", "DEBUG": "0"}
    env["PLUM_OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    command = [sys.executable, "-m", "celery", "-A", "plum", "worker", "-c", "4", "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    procs = [subprocess.Popen([*command, "-n", f"relay{n}-{uuid.uuid4().hex[:6]}@%h"], env=env) for n in range(count)]
    for _ in range(150):
        if len(current_app.control.ping(timeout=0.5) or []) >= count:
            return procs
        time.sleep(0.2)
    for proc in procs:
        proc.kill()
    raise SystemExit("celery workers did not start")


def _verify(subscription, events: int, seen: tuple[int, int]) -> dict:
    from django.db.models import Count, Max, Min

    from integrations.webhooks.models import Delivery

    rows = Delivery.objects.filter(subscription=subscription)
    summary = rows.aggregate(n=Count("id"), low=Min("attempts"), high=Max("attempts"))
    states = dict(rows.values_list("state").annotate(n=Count("id")))
    checks = {
        "one delivery per event": summary["n"] == events,
        "every delivery delivered": states == {"delivered": events},
        "one attempt each": (summary["low"], summary["high"]) == (1, 1),
        "the receiver saw every event id": seen[1] == events,
    }
    return {"ok": all(checks.values()), "failed_checks": [name for name, ok in checks.items() if not ok], **checks}


# --- The baseline ------------------------------------------------------------------------------------


def _run_baseline(url: str, events: int, organisation_id) -> float:
    """Each body signed with standardwebhooks and POSTed by one httpx.Client, one after another."""
    from datetime import UTC, datetime

    import httpx
    from standardwebhooks.webhooks import Webhook

    from integrations.webhooks.services.relay import delivery_body
    from plum.core.keys import new_webhook_secret

    webhook = Webhook(new_webhook_secret())
    now = datetime.now(UTC)
    bodies = [
        delivery_body(
            event_id=uuid.uuid4(),
            event_type="employee.updated",
            created_at=now,
            organisation_id=organisation_id,
            payload_json=json.dumps(_payload(n)),
        )
        for n in range(events)
    ]
    with httpx.Client(timeout=10.0) as client, Timer() as timer:
        for body in bodies:
            message_id, moment = str(uuid.uuid4()), datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(moment.timestamp())),
                "webhook-signature": webhook.sign(message_id, moment, body),
            }
            client.post(url, content=body.encode(), headers=headers).raise_for_status()
    return timer.seconds


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relay", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--celery-workers", type=int, default=0, help="real worker processes (needs REDIS_URL)")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/relay.json")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.celery_workers and not os.environ.get("REDIS_URL"):
        print("--celery-workers needs REDIS_URL (the broker)", file=sys.stderr)
        return 2
    os.environ["PLUM_OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver is on loopback
    setup_django()
    import logging

    from django.conf import settings

    for name in ("httpx", "celery.app.trace"):  # a line per request or task, as workers at --loglevel WARNING
        logging.getLogger(name).setLevel(logging.WARNING)

    from integrations.webhooks.services.relay import outbox_relay

    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    outbox_relay(max_seconds=600)  # what earlier runs or other work left in the outbox: not this run's
    plum_receiver, baseline_receiver = Receiver(), Receiver()
    organisation, subscription = _organisation_with_subscription(plum_receiver.url)
    _emit(organisation.id, args.events)

    if args.celery_workers:
        seconds, mode = _run_celery(subscription, args.events, args.celery_workers)
    else:
        seconds, mode = _run_in_process(subscription, args.events)
    seen = plum_receiver.counts()
    baseline_seconds = _run_baseline(baseline_receiver.url, args.events, organisation.id)
    baseline_seen = baseline_receiver.counts()
    checks = _verify(subscription, args.events, seen)
    checks["baseline: the receiver saw every post"] = baseline_seen == (args.events, args.events)
    checks["ok"] = checks["ok"] and checks["baseline: the receiver saw every post"]

    rate, baseline_rate = args.events / seconds, args.events / baseline_seconds
    ratio = rate / baseline_rate
    rows = [
        ["plum: outbox to delivered", mode, f"{seconds:.2f}", f"{rate:,.0f}"],
        [
            "baseline: signed httpx posts",
            "one client, a plain loop",
            f"{baseline_seconds:.2f}",
            f"{baseline_rate:,.0f}",
        ],
    ]
    print(f"\nOutbound webhooks: {args.events:,} events to one local receiver, {os.cpu_count()} cores")
    print(format_table(["what", "how", "seconds", "events/s"], rows))
    print(f"plum / baseline = {ratio:.3f}")
    print(f"receiver saw {seen[0]:,} requests, {seen[1]:,} distinct webhook-ids")
    failed = [name for name, ok in checks.items() if ok is False and name != "ok"]
    print("checks: " + ("all passed" if checks["ok"] else f"FAILED {', '.join(failed)}"))
    if not args.no_write:
        path = write_results(
            NAME,
            {
                "command": " ".join(["python -m benchmarks.relay", *(sys.argv[1:] if argv is None else argv)]),
                "machine": machine_info(),
                "parameters": {**vars(args), "mode": mode},
                "results": {
                    "plum_seconds": seconds,
                    "plum_events_per_second": rate,
                    "baseline_seconds": baseline_seconds,
                    "baseline_events_per_second": baseline_rate,
                    "ratio": ratio,
                    "receiver_requests": seen[0],
                    "receiver_distinct_ids": seen[1],
                },
                "checks": checks,
            },
        )
        print(f"results: {path}")
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
