"""Two workers with the same message (Redis redelivers, the dispatcher re-sent it) never send one attempt twice:
the second finds the row locked by the first and does nothing. The naive send (no row lock) posts twice."""

import threading

import pytest
from django.db import connection
from django.db.models import QuerySet

from integrations.webhooks.models import DeliveryAttempt
from integrations.webhooks.services import relay
from integrations.webhooks.services.deliveries import deliveries_dispatch, delivery_send
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import deliveries_of, emit, make_subscription
from points.tests.worker_support import wait_until

receiver = support.receiver  # the shared fixtures


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("naive", [False, True], ids=["row lock", "naive"])
def test_two_workers_with_one_message_send_it_once(tenant, receiver, settings, monkeypatch, naive):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    if naive:
        monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **options: self)
    server = receiver(200)
    server.hold = threading.Event()
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id)
    relay.outbox_relay()
    queued = []
    deliveries_dispatch(send=lambda ids, token: queued.append((ids, token)))  # autocommit: sent at once
    [([delivery_id], token)] = queued
    results, errors = [], []

    def worker():
        try:
            results.append(delivery_send(delivery_id, token))
        except Exception as exc:
            errors.append(type(exc).__name__)
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    wait_until(lambda: len(server.received) == 1, 10, "the first worker's POST (held by the receiver)")
    second = threading.Thread(target=worker)
    second.start()
    # The second worker either finds the row taken (and is done) or posts too (naive).
    wait_until(lambda: results or len(server.received) == 2, 10, "the second worker to decide")
    server.hold.set()
    first.join(20)
    second.join(20)

    [delivery] = deliveries_of(subscription)
    if naive:
        assert len(server.received) == 2 and errors == ["IntegrityError"]
    else:
        assert len(server.received) == 1 and errors == []
        assert sorted(map(str, results)) == ["None", "delivered"]
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1
