"""Batches through real Celery worker processes and the machine's Redis: a worker killed with SIGKILL mid-batch
and Redis flushed mid-batch both end with every item processed exactly once."""

import time
from datetime import timedelta

import pytest

from plum.core.jobs import run_job
from points.models import PointsBatch
from points.services import points_batch_process, points_batches_sweep
from points.services.batches import BATCH_JOBS
from points.tests import worker_support
from points.tests.batches_support import (
    assert_exactly_once,
    assert_items_match_counters,
    counts,
    credits,
    events,
    make_org,
)
from points.tests.worker_support import chunk_in_flight, needs_redis, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
broker, workers = worker_support.broker, worker_support.workers  # the shared fixtures


def processed(batch) -> int:
    return PointsBatch.objects.values_list("processed", flat=True).get(pk=batch.pk)


@needs_redis
def test_worker_killed_mid_batch_then_a_new_worker_does_every_item_once(tenant, broker, workers):
    org = make_org(tenant, employees=1000)
    requests = credits(org, 10_000)
    batch = org.batch("killed", requests)
    broker.flushdb()  # drop the messages sent on commit: this test sends its own, in smaller chunks
    for _ in range(2):  # delivered twice: both pool processes share the batch
        run_job.apply_async(args=[BATCH_JOBS.name, str(batch.pk)], kwargs={"chunk_size": 250})

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
