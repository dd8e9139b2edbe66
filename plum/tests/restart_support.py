"""The real system on a dedicated PostgreSQL server that a test may stop and start (no tests here): the
server (plum.testing.pg_cluster), its own Redis, gunicorn and a Celery worker with beat, each a process
of its own, all ended by `System.close()` whatever happened.

`python -m plum.tests.restart_support <receiver url>` (run by System against the new database) seeds one
organisation: 2,000 employees, a funded programme KUDOS, a generated voucher product, a webhook
subscription to the receiver; it prints what the test needs as JSON.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from plum.testing.pg_cluster import PgCluster, free_port

ROOT = Path(__file__).resolve().parents[2]
EMPLOYEES = 2_000
WEBHOOK_EVENTS = ("voucher.issued", "points_batch.completed", "campaign.completed")


class Process:
    """A command in its own process group (its children end with it), output to a log file."""

    def __init__(self, name: str, command: list[str], env: dict, folder: Path):
        self.name, self.log = name, folder / f"{name}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def output(self) -> str:
        return f"--- {self.name}\n" + self.log.read_text(errors="replace")[-6000:]


class System:
    """Start with `System.start(major, receiver_url, folder)`; `close()` in a finalizer."""

    def __init__(self, folder: Path):
        self.folder, self.processes, self.cluster = folder, [], None
        self.web_url = f"http://127.0.0.1:{free_port()}"

    @classmethod
    def start(cls, major: int, receiver_url: str, folder: Path) -> "System":
        system = cls(folder)
        try:
            system._start(major, receiver_url)
        except BaseException:
            system.close()
            raise
        return system

    def _start(self, major: int, receiver_url: str) -> None:
        self.cluster = PgCluster.create(major)
        self.cluster.start()
        self.cluster.psql("CREATE DATABASE plum")
        redis_port = free_port()
        self._spawn("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""])
        self.env = {
            **os.environ,
            "DATABASE_URL": self.cluster.url("plum"),
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "PLUM_ALLOW_EPHEMERAL_SECRET": "1",
            "PLUM_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",  # the receiver
            "PLUM_DATABASE_RETRY_AFTER_SECONDS": "1",  # workers come back quickly after the restart
            "DJANGO_SETTINGS_MODULE": "plum.settings",
        }
        self.env.pop("PLUM_REQUIRE_EMBEDDED", None)
        self.env.pop("PLUM_REQUIRE_SERVICES", None)
        python = sys.executable
        self._run([python, "manage.py", "migrate", "--noinput", "-v0"])
        self.seeded = json.loads(self._run([python, "-m", "plum.tests.restart_support", receiver_url]).splitlines()[-1])
        bind = self.web_url.removeprefix("http://")
        self._spawn("web", [python, "-m", "gunicorn", "plum.wsgi:application", "-b", bind, "-w", "1", "--threads", "4"])
        worker = [python, "-m", "celery", "-A", "plum", "worker", "--beat", "--concurrency=4", "--loglevel=INFO"]
        worker += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        worker += ["-n", f"restart-{os.getpid()}@localhost"]
        worker += ["-s", str(self.folder / "beat-schedule")]
        self._spawn("worker", worker)

    def _run(self, command: list[str]) -> str:
        done = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise RuntimeError(f"{command} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _spawn(self, name: str, command: list[str]) -> Process:
        self.processes.append(Process(name, command, getattr(self, "env", dict(os.environ)), self.folder))
        return self.processes[-1]

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.cluster.url("plum"), connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def output(self, name: str) -> str:
        return next(p for p in self.processes if p.name == name).log.read_text(errors="replace")

    def logs(self) -> str:
        server_log = self.cluster.server_log()[-4000:] if self.cluster else ""
        return "\n".join(p.output() for p in self.processes) + "\n--- postgres\n" + server_log

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.cluster:
            self.cluster.remove()


def wait_until(predicate, timeout: float, what: str, system: System | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{system.logs() if system else ''}")


def _seed(receiver_url: str) -> dict:
    import django

    django.setup()
    from integrations.webhooks.tests.test_deliveries_support import make_subscription
    from plum.core.scopes import ALL_SCOPES
    from plum.testing.tenants import Tenant
    from points.tests.batches_support import make_org
    from users import services
    from users.commands import ApiClientCreate
    from vouchers.tests.factories import make_catalogue

    organisation, _ = services.organisation_ensure(slug="restart", name="Restart")
    command = ApiClientCreate(name="restart", allowed_scopes=list(ALL_SCOPES))
    issued = services.api_client_create(organisation=organisation, command=command)
    tenant = Tenant(organisation, issued.client, issued.client_secret)
    make_org(tenant, employees=EMPLOYEES)
    product = make_catalogue(tenant).generated
    make_subscription(organisation.id, receiver_url, events=WEBHOOK_EVENTS)
    return {"token": tenant.token(), "product_id": str(product.pk)}


if __name__ == "__main__":
    print(json.dumps(_seed(sys.argv[1])))
