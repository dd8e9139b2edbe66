"""Real Celery worker processes for the fault tests (no tests here): a worker in its own process group
(SIGKILL takes its pool children too), the broker flushed around each test, and polling helpers.

Use the fixtures by naming them in the test module:
`broker, workers = worker_support.broker, worker_support.workers`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

# A real worker needs the real broker. CI always sets REDIS_URL (tests/conftest.py refuses to run without it).
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="real Celery workers need Redis (REDIS_URL)")
ROOT = Path(__file__).resolve().parents[2]


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


def _flush_celery_keys(client) -> None:
    """No message of an earlier test is left for these workers: this process's Celery keys only (other
    xdist workers keep theirs under their own prefix, settings.CELERY_BROKER_TRANSPORT_OPTIONS)."""
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    if not prefix:
        client.flushdb()
        return
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


class Broker:
    """The Redis client of the broker; flushdb() drops this process's Celery keys only (as a restart without
    persistence would drop them), never another xdist worker's."""

    def __init__(self):
        self.client = redis.Redis.from_url(settings.REDIS_URL)

    def flushdb(self) -> None:
        _flush_celery_keys(self.client)

    def _key(self, name: str) -> str:
        return settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "") + name

    def llen(self, name: str) -> int:
        return self.client.llen(self._key(name))

    def lrange(self, name: str, start: int, end: int) -> list:
        return self.client.lrange(self._key(name), start, end)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def broker():
    broker = Broker()
    broker.flushdb()
    yield broker
    broker.flushdb()


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
