"""A task delivered several times at once: real threads with their own PostgreSQL connections share the
batch through SKIP LOCKED and each item is processed once; the naive claim without it processes twice."""

import dataclasses
import threading

import pytest
from django.db import connection

from points.commands import PointsRequestCommand
from points.services import ChunkFailed, points_batch_process, points_request_submit
from points.services import batches as batches_module
from points.services.batches import BATCH_JOBS
from points.tests.batches_support import (
    assert_each_request_once,
    assert_items_match_counters,
    assert_ledger_proven,
    counts,
    credits,
    events,
    expected_wallets,
    make_org,
    wallets,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _deliveries_are_the_tests_own(monkeypatch):
    """No task is sent on commit: without REDIS_URL Celery would run it in-process at once."""
    monkeypatch.setattr(batches_module, "enqueue_on_commit", lambda *args, **kwargs: None)


def deliver_at_once(batch, copies: int) -> tuple[list, list]:
    """`copies` deliveries of the task released by a barrier; answers each one's result and chunk count."""
    barrier, results, chunks = threading.Barrier(copies), [None] * copies, [0] * copies
    real_chunk = BATCH_JOBS.process_chunk  # called only for a chunk that claimed items
    local = threading.local()

    def counting_chunk(*args):
        chunks[local.n] += 1
        return real_chunk(*args)

    def delivery(n: int) -> None:
        local.n = n
        try:
            barrier.wait(timeout=30)
            results[n] = points_batch_process(batch.pk, chunk_size=100)
        except Exception as exc:
            results[n] = exc
        finally:
            connection.close()

    BATCH_JOBS.process_chunk = counting_chunk
    try:
        threads = [threading.Thread(target=delivery, args=(n,)) for n in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        del BATCH_JOBS.process_chunk  # the class's own again
    return results, chunks


def test_four_deliveries_at_once_process_each_item_once(tenant):
    org = make_org(tenant, employees=300)  # wallets shared between chunks: they lock in one order
    requests = credits(org, 3000)
    batch = org.batch("shared", requests)

    results, chunks = deliver_at_once(batch, 4)

    assert results == [False] * 4
    assert sum(chunks) == 30 and all(chunks)  # every delivery did real work, at the same time
    assert counts(batch) == {
        "status": "completed",
        "total": 3000,
        "processed": 3000,
        "credited": 3000,
        "pending_approval": 0,
        "rejected": 0,
        "replayed": 0,
    }
    assert wallets(org) == expected_wallets(requests)
    assert_ledger_proven(org)
    assert_items_match_counters(batch)
    assert_each_request_once(batch)
    assert events("points_batch.completed") == [str(batch.pk)]


def test_a_single_request_racing_the_batch_for_a_request_id_is_decided_once(tenant):
    org = make_org(tenant, employees=50)
    requests = credits(org, 1000)
    batch = org.batch("raced", requests)
    barrier = threading.Barrier(2)
    results = [None, None]

    def single():
        try:
            barrier.wait(timeout=30)
            results[0] = [
                points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(r)).replayed
                for r in requests[::50]
            ]
        finally:
            connection.close()

    def batch_worker():
        try:
            barrier.wait(timeout=30)
            results[1] = points_batch_process(batch.pk, chunk_size=100)
        finally:
            connection.close()

    threads = [threading.Thread(target=single), threading.Thread(target=batch_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert results[1] is False and len(results[0]) == 20
    c = counts(batch)
    assert (c["status"], c["processed"], c["credited"] + c["replayed"], c["rejected"]) == ("completed", 1000, 1000, 0)
    assert c["replayed"] == 20 - sum(results[0])  # each raced request_id made once, by one side or the other
    assert wallets(org) == expected_wallets(requests)
    assert_ledger_proven(org)


def test_the_naive_claim_without_skip_locked_processes_items_twice(tenant, monkeypatch):
    """The harness detects double processing: without FOR UPDATE SKIP LOCKED two deliveries take the same
    items; the unique request_id turns the second credit into a replay, and the counters overflow."""
    org = make_org(tenant, employees=300)
    batch = org.batch("naive", credits(org, 3000))
    monkeypatch.setattr(BATCH_JOBS, "items", dataclasses.replace(BATCH_JOBS.items, locking=""))

    results, _ = deliver_at_once(batch, 4)

    failed = [r for r in results if isinstance(r, ChunkFailed)]
    batch.refresh_from_db()
    assert failed or batch.replayed > 0  # items seen twice: refused by the counts' CHECK or replayed
