"""The job runner (plum.core.jobs) through both of its kinds, points batches and voucher campaigns, against
real PostgreSQL and Redis: a worker killed mid-chunk, messages lost with a flushed Redis, a failed job
retried, claims that take exactly their chunk (with the naive claim as control), and the task names."""

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from plum.celery import app as celery_app
from plum.core import jobs
from plum.core.jobs.kinds import SKIP_LOCKED
from plum.testing.plans import PLANS, force_plan, fresh_tables, stale_statistics
from points.models import Account
from points.services.batches import BATCH_JOBS
from points.tasks import points_batch_process_task
from points.tests import worker_support
from points.tests.batches_support import assert_exactly_once, credits, events, make_org
from points.tests.worker_support import needs_redis, wait_until
from vouchers import services as voucher_services
from vouchers.commands import CampaignCreate
from vouchers.models import Voucher
from vouchers.services.jobs import CAMPAIGN_JOBS
from vouchers.tests.factories import make_catalogue

broker, workers = worker_support.broker, worker_support.workers  # the shared fixtures
KINDS = ("points batch", "voucher campaign")


@dataclasses.dataclass
class Scenario:
    kind: jobs.JobKind
    job: object
    assert_each_item_once: Callable[[], None]

    def refreshed(self):
        return self.kind.model.objects.get(pk=self.job.pk)

    def queued_items(self) -> int:
        queue = self.kind.items
        return queue.model.objects.filter(**{queue.job_field: self.job.pk, queue.status_field: queue.queued}).count()


def batch_scenario(tenant, size: int) -> Scenario:
    org = make_org(tenant, employees=60)
    requests = credits(org, size)
    batch = org.batch("runner", requests)
    return Scenario(BATCH_JOBS, batch, lambda: assert_exactly_once(org, batch, requests))


def campaign_scenario(tenant, size: int) -> Scenario:
    org = make_org(tenant, employees=size)
    product = make_catalogue(tenant).generated
    data = {"campaign_id": "runner", "name": "Runner", "product_id": str(product.pk), "denomination": 10}
    command = CampaignCreate.parse({**data, "programme": "KUDOS", "filter": {}})
    campaign, cost = voucher_services.campaign_create(actor=org.actor, command=command).campaign, product.points_for(10)

    def assert_each_recipient_once():
        done = CAMPAIGN_JOBS.model.objects.get(pk=campaign.pk)
        assert (done.status, done.processed, done.issued, done.points_drawn) == ("completed", size, size, size * cost)
        vouchers = Voucher.objects.filter(recipient__campaign=campaign)
        assert vouchers.values("employee").annotate(n=Count("id")).filter(n=1).count() == size == vouchers.count()
        budget = Account.objects.filter(programme_id=campaign.programme_id, kind="budget").aggregate(s=Sum("balance"))
        assert budget["s"] == 10_000_000 - size * cost
        assert sorted(events("voucher.issued")) == sorted(str(pk) for pk in vouchers.values_list("pk", flat=True))
        assert events("campaign.completed") == [str(campaign.pk)]

    return Scenario(CAMPAIGN_JOBS, campaign, assert_each_recipient_once)


def scenario(tenant, kind: str, size: int) -> Scenario:
    return (batch_scenario if kind == "points batch" else campaign_scenario)(tenant, size)


class OutboxLocked:
    """Another session holds the outbox table, so a chunk that reaches its events waits, written rows and all."""

    def __init__(self):
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        assert self.locked.wait(10)

    def _hold(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("LOCK TABLE core_outboxevent IN EXCLUSIVE MODE")
                self.locked.set()
                self.release.wait(60)
        finally:
            connection.close()

    def end(self):
        self.release.set()
        self.thread.join(10)


def waiting_on_a_lock_with_rows_written(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' AND backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_whose_session_is_killed_mid_chunk_leaves_nothing_and_another_finishes(tenant, kind, monkeypatch):
    """The database side of a killed worker (a SIGKILLed Celery process is in points/tests/test_worker.py and
    vouchers/tests/test_worker.py): its session ends while the chunk has written rows and waits for a lock."""
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)  # this test is the only worker
    s = scenario(tenant, kind, 300)
    outbox = OutboxLocked()
    killed = {}

    def doomed_worker():
        try:
            connection.ensure_connection()
            killed["pid"] = connection.connection.info.backend_pid
            jobs.run(s.kind, s.job.pk, chunk_size=100)
        except Exception as exc:  # its session ends under it: whatever it raises, it is gone
            killed["error"] = exc
        finally:
            connection.close()

    worker = threading.Thread(target=doomed_worker)
    worker.start()
    try:
        wait_until(lambda: killed.get("pid") and waiting_on_a_lock_with_rows_written(killed["pid"]), 30, "a chunk")
        with connection.cursor() as cursor:  # what PostgreSQL does to the session of a worker killed by SIGKILL
            cursor.execute("SELECT pg_terminate_backend(%s)", [killed["pid"]])
        worker.join(30)
    finally:
        outbox.end()

    assert "error" in killed
    job = s.refreshed()
    assert (job.status, job.processed) == ("processing", 0)  # the chunk rolled back whole
    assert (job.failures, job.last_error.split(":")[0]) == (1, "AdminShutdown")  # its process lived to say so
    assert s.queued_items() == job.total == 300
    assert events(s.kind.completed_event(job).event_type) == []

    assert jobs.run(s.kind, s.job.pk, chunk_size=100) is False  # another worker, the same job
    assert s.refreshed().failures == 0  # a chunk that commits ends the run of failures
    s.assert_each_item_once()


@pytest.mark.slow
@needs_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_a_flushed_redis_loses_the_messages_and_the_sweeper_sends_them_again(tenant, kind, broker, workers):
    s = scenario(tenant, kind, 300)
    assert broker.llen("celery") == s.kind.parallel_messages  # sent on commit, waiting for a worker
    broker.flushdb()  # Redis restarted without persistence: the messages are gone

    worker = workers("runner")
    time.sleep(1.0)
    assert s.refreshed().status == "queued"
    assert jobs.sweep_jobs() == 0  # beat's sweeper: not stale yet, left alone
    s.kind.model.objects.filter(pk=s.job.pk).update(progress_at=timezone.now() - s.kind.stale_after)
    assert jobs.sweep_jobs() == 1
    wait_until(lambda: s.refreshed().status == "completed", 60, "the worker to finish", worker)

    s.assert_each_item_once()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_job_waits_for_staff_and_a_retry_completes_it_once(tenant, other_tenant, kind, monkeypatch):
    s = scenario(tenant, kind, 30)

    def broken_chunk(*args):
        raise RuntimeError("the downstream is down")

    monkeypatch.setattr(s.kind, "run_chunk", broken_chunk)
    for attempt in range(1, s.kind.max_failures):
        with pytest.raises(jobs.ChunkFailed) as failed:
            jobs.run(s.kind, s.job.pk)
        assert (failed.value.failures, failed.value.final) == (attempt, False)
    assert jobs.run_job.apply(args=[s.kind.name, str(s.job.pk)]).successful()  # the last failure ends the task
    job = s.refreshed()
    assert (job.status, job.failures, job.processed) == ("failed", s.kind.max_failures, 0)
    assert job.last_error == "RuntimeError: the downstream is down"
    assert jobs.run(s.kind, s.job.pk) is False  # a failed job is left alone
    assert jobs.sweep(s.kind, stale_after=timedelta(0)) == []  # by the sweeper too
    assert jobs.retry(s.kind, s.job.pk, organisation_id=other_tenant.organisation.id) is False
    assert s.refreshed().status == "failed"

    monkeypatch.undo()
    assert jobs.retry(s.kind, s.job.pk, organisation_id=s.job.organisation_id) is True
    assert (s.refreshed().status, s.refreshed().failures) == ("processing", 0)
    assert jobs.retry(s.kind, s.job.pk, organisation_id=s.job.organisation_id) is False  # not failed any more
    assert jobs.run(s.kind, s.job.pk) is False
    s.assert_each_item_once()


@pytest.mark.django_db
@pytest.mark.parametrize("plan", PLANS)
def test_a_chunk_claims_exactly_its_size_on_the_plans_that_broke_claims(tenant, plan):
    fresh_tables("points_pointsbatch")
    s = batch_scenario(tenant, 30)
    stale_statistics("points_pointsbatchitem")
    force_plan(plan)
    claimed = BATCH_JOBS.items.claim(s.job.pk, 7)
    assert [row[1] for row in claimed] == list(range(7))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("locking", "shared"), [(SKIP_LOCKED, False), ("", True)], ids=["skip locked", "naive"])
def test_two_workers_claim_different_items_and_the_naive_claim_takes_the_same(tenant, monkeypatch, locking, shared):
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)  # no worker takes the job
    monkeypatch.setattr(BATCH_JOBS, "items", dataclasses.replace(BATCH_JOBS.items, locking=locking))
    s = batch_scenario(tenant, 40)
    holding, done, first = threading.Event(), threading.Event(), []

    def first_worker():
        try:
            with transaction.atomic():
                first.extend(row[1] for row in BATCH_JOBS.items.claim(s.job.pk, 10))
                holding.set()
                done.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert holding.wait(30)
    with transaction.atomic():
        second = [row[1] for row in BATCH_JOBS.items.claim(s.job.pk, 10)]
    done.set()
    thread.join(30)

    assert first == list(range(10))
    assert second == (list(range(10)) if shared else list(range(10, 20)))


def test_every_kind_is_registered_and_beat_sweeps_them_all():
    assert jobs.kind_named("points.batch") is BATCH_JOBS and jobs.kind_named("vouchers.campaign") is CAMPAIGN_JOBS
    schedule = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert schedule == {
        "plum.api.tasks.idempotency_purge_task": 3600.0,
        "plum.core.jobs.sweep_jobs": 60.0,
        "points.tasks.expire_lots_task": 300.0,
        "points.tasks.reconcile_ledger_task": 86400.0,
        "vouchers.tasks.expire_vouchers_task": 300.0,
        "vouchers.tasks.reconcile_stock_task": 86400.0,
        "integrations.events.tasks.raise_anniversaries_task": 3600.0,
        "integrations.webhooks.tasks.relay_outbox_task": 1.0,
        "integrations.webhooks.tasks.dispatch_deliveries_task": 5.0,
        "integrations.chat.tasks.dispatch_notifications_task": 3.0,
        "integrations.webhooks.tasks.purge_outbox_task": 3600.0,
        "plum.core.audit.purge_audit_task": 3600.0,
        "reports.tasks.fold_points_deltas_task": 2.0,
        "reports.tasks.reconcile_reports_task": 3600.0,
    }


@needs_redis
def test_messages_under_the_old_task_names_reach_the_runner(broker):
    celery_app.loader.import_default_modules()
    old = {"points.tasks.points_batch_process_task", "points.tasks.points_batches_sweep_task"}
    old |= {"vouchers.tasks.campaign_process_task", "vouchers.tasks.campaigns_sweep_task"}
    assert old | {"plum.core.jobs.run_job", "plum.core.jobs.sweep_jobs"} <= set(celery_app.tasks)

    points_batch_process_task.apply(args=["0190c0de-0000-7000-8000-000000000000"], kwargs={"chunk_size": 250})

    (message,) = [json.loads(raw) for raw in broker.lrange("celery", 0, -1)]
    assert message["headers"]["task"] == "plum.core.jobs.run_job"
    assert message["headers"]["argsrepr"] == "('points.batch', '0190c0de-0000-7000-8000-000000000000', 250)"
