"""Deliveries through real Celery worker processes, Redis and a receiver on 127.0.0.1: at least once, never lost.
A worker SIGKILLed mid-send and a flushed Redis both end with every event delivered once the lease runs out
(moved back here rather than waited for: LEASE is five minutes)."""

import threading

import pytest
from django.db.models import F

from integrations.webhooks.models import Delivery, DeliveryAttempt
from integrations.webhooks.services import relay
from integrations.webhooks.services.deliveries import LEASE, deliveries_dispatch
from integrations.webhooks.tasks import queue_sends, relay_outbox_task
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import deliveries_of, emit, make_subscription
from points.tests import worker_support
from points.tests.worker_support import chunk_in_flight, needs_redis, wait_until

receiver = support.receiver  # the shared fixtures

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]
broker, workers = worker_support.broker, worker_support.workers  # the shared fixtures


@pytest.fixture(autouse=True)
def _loopback_allowed(settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv("PLUM_OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8")  # the workers read it from the environment


def states(subscription) -> list[str]:
    return sorted(d.state for d in deliveries_of(subscription))


def lease_runs_out() -> int:
    """As if LEASE had passed: claimed rows whose worker died or whose message was lost are due again."""
    return Delivery.objects.filter(state__in=Delivery.DUE).update(next_attempt_at=F("next_attempt_at") - LEASE)


def test_events_go_from_the_outbox_to_the_receiver_through_a_worker(tenant, broker, workers, receiver):
    server = receiver(200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id, count=30)
    relay_outbox_task.delay()  # what beat sends every second
    worker = workers("relay")
    wait_until(lambda: states(subscription) == ["delivered"] * 30, 30, "every event delivered", worker)
    assert sorted(server.ids()) == sorted(str(d.event_id) for d in deliveries_of(subscription))


def test_a_worker_killed_mid_send_leaves_nothing_lost(tenant, broker, workers, receiver):
    server = receiver(200)
    server.hold = threading.Event()  # the receiver keeps the first sends waiting until the kill
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id, count=3)
    relay.outbox_relay()
    assert deliveries_dispatch(send=queue_sends) == 3  # three messages of one delivery each

    first = workers("first")
    wait_until(lambda: len(server.received) == 2, 30, "two sends in flight (concurrency 2)", first)
    first.kill()
    wait_until(lambda: not chunk_in_flight(), 10, "the killed worker's transactions to end")
    server.hold.set()
    server.hold = None
    assert DeliveryAttempt.objects.count() == 0  # the killed attempts rolled back: nothing recorded
    killed = set(server.ids())

    second = workers("second")  # takes the third message, if the first had not reserved it
    assert deliveries_dispatch(send=queue_sends) == 0  # the killed sends' rows are leased, not lost
    assert lease_runs_out() >= 2
    assert deliveries_dispatch(send=queue_sends) >= 2
    wait_until(lambda: states(subscription) == ["delivered"] * 3, 30, "every event delivered", second)

    delivered = {str(d.event_id) for d in deliveries_of(subscription)}
    assert set(server.ids()) == delivered and killed <= delivered
    for event_id in killed:
        assert server.ids().count(event_id) == 2  # at least once: the receiver dedupes on webhook-id
    assert sorted(d.attempts for d in deliveries_of(subscription)) == [1, 1, 1]


def test_a_flushed_redis_loses_messages_and_the_dispatcher_sends_every_event(tenant, broker, workers, receiver):
    server = receiver(200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id, count=40)
    relay.outbox_relay()
    assert deliveries_dispatch(send=queue_sends) == 40
    assert broker.llen("celery") == 8  # groups of five
    broker.flushdb()  # Redis restarted without persistence: the messages are gone

    worker = workers("after-flush")
    assert deliveries_dispatch(send=queue_sends) == 0  # leased until the lease runs out
    assert lease_runs_out() == 40
    assert deliveries_dispatch(send=queue_sends) == 40
    wait_until(lambda: states(subscription) == ["delivered"] * 40, 30, "every event delivered", worker)
    assert sorted(server.ids()) == sorted(str(d.event_id) for d in deliveries_of(subscription))  # each once
