"""Batches through real Celery worker processes and the machine's Redis: a worker killed with SIGKILL mid-batch
and Redis flushed mid-batch both end with every item processed exactly once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from plum.celery import app as celery_app
from points.models import PointsBatch
from points.services import points_batch_process, points_batches_sweep
from points.tasks import points_batch_process_task
from tests.test_points_batches_support import (
    assert_exactly_once,
    assert_items_match_counters,
    counts,
    credits,
    events,
    make_org,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# A real worker needs the real broker. CI always sets REDIS_URL (tests/conftest.py refuses to run without it).
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="real Celery workers need Redis (REDIS_URL)")
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict  # the pytest database, which the worker must use too
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A plum worker` in its own process group, so SIGKILL takes its pool children too."""

    def __init__(self, name: str, tmp_path: Path):
        env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
        env["PLUM_ALLOW_EPHEMERAL_SECRET"] = "1"
        self.log = tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "plum", "worker", "--pool=prefork", "--concurrency=2"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", name]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()  # no message of another test is left for these workers
    yield client
    client.flushdb()


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(name: str) -> Worker:
        started.append(Worker(f"{name}-{os.getpid()}@localhost", tmp_path))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}\n{worker.output() if worker else ''}")


def chunk_in_flight() -> bool:
    """A worker's transaction holds written, uncommitted rows (it has a transaction id) right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0] > 0


def processed(batch) -> int:
    return PointsBatch.objects.values_list("processed", flat=True).get(pk=batch.pk)


@needs_redis
def test_worker_killed_mid_batch_then_a_new_worker_does_every_item_once(tenant, broker, workers):
    org = make_org(tenant, employees=1000)
    requests = credits(org, 10_000)
    batch = org.batch("killed", requests)
    broker.flushdb()  # drop the messages sent on commit: this test sends its own, in smaller chunks
    for _ in range(2):  # delivered twice: both pool processes share the batch
        points_batch_process_task.apply_async(args=[str(batch.pk)], kwargs={"chunk_size": 250})

    first = workers("first")
    wait_until(lambda: processed(batch) >= 3000, 60, "the first worker to get going", first)
    wait_until(chunk_in_flight, 10, "a chunk transaction that has written rows", first)
    first.kill()
    # PostgreSQL ends the dead worker's sessions: open chunks roll back, a COMMIT already sent completes.
    wait_until(lambda: not chunk_in_flight(), 10, "the killed worker's transactions to end")
    done_at_kill = processed(batch)

    time.sleep(1.0)  # and then nothing moves any more
    assert done_at_kill < 10_000 and processed(batch) == done_at_kill
    assert counts(batch)["status"] == "processing"
    assert_items_match_counters(batch)
    assert events("points_batch.completed") == []

    second = workers("second")
    time.sleep(1.0)
    assert processed(batch) == done_at_kill  # the killed worker's messages stay unacknowledged in Redis
    assert points_batches_sweep(stale_after=timedelta(seconds=1)) == [batch.pk]
    wait_until(lambda: counts(batch)["status"] == "completed", 60, "the second worker to finish", second)

    assert_exactly_once(org, batch, requests)


@needs_redis
def test_redis_flushed_mid_batch_the_sweeper_recovers_it(tenant, broker, workers):
    org = make_org(tenant, employees=1000)
    requests = credits(org, 10_000)
    batch = org.batch("flushed", requests)
    assert points_batch_process(batch.pk, chunk_size=1000, max_seconds=0) is True  # one chunk done, as by a worker
    assert broker.llen("celery") == 2  # the messages sent on commit, waiting for a worker
    broker.flushdb()  # Redis restarted without persistence: the messages are gone

    worker = workers("after-flush")
    time.sleep(2.0)
    assert processed(batch) == 1000 and counts(batch)["status"] == "processing"
    assert points_batches_sweep(stale_after=timedelta(hours=1)) == []  # not stale yet: left alone
    assert points_batches_sweep(stale_after=timedelta(seconds=1)) == [batch.pk]
    wait_until(lambda: counts(batch)["status"] == "completed", 60, "the worker to finish", worker)

    assert_exactly_once(org, batch, requests)


def test_beat_schedules_the_sweeper_expiry_and_reconciliation():
    schedule = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert schedule == {
        "plum.api.tasks.idempotency_purge_task": 3600.0,
        "points.tasks.points_batches_sweep_task": 60.0,
        "points.tasks.expire_lots_task": 300.0,
        "points.tasks.reconcile_ledger_task": 86400.0,
        "vouchers.tasks.campaigns_sweep_task": 60.0,
        "vouchers.tasks.expire_vouchers_task": 300.0,
    }
