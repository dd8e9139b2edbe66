"""One webhook-id delivered many times at once (a sender's retries overlapping): one event, one receipt, one
reward, every answer the event's document. Threads with their own PostgreSQL connections, and all of them
past the receipt check before any writes, so every one but the first meets the receipt's unique constraint."""

import json
import threading

import pytest

from integrations.events.services import hooks as hook_services
from integrations.events.tests.test_hook_helpers import (
    create_endpoint,
    darwinbox_payload,
    post_hook,
    recorded,
    signature_headers,
    world,  # noqa: F401 (fixture)
)
from points.tests.ledger_support import run_parallel

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SENDERS = 8


def all_checked_before_any_writes(monkeypatch) -> None:
    """Each thread's first receipt lookup waits until every thread has made its own."""
    barrier, original, local = threading.Barrier(SENDERS), hook_services._receipt, threading.local()

    def receipt(endpoint, webhook_id):
        found = original(endpoint, webhook_id)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait(timeout=30)
        return found

    monkeypatch.setattr(hook_services, "_receipt", receipt)


def deliver_in_parallel(endpoint) -> list:
    body = json.dumps(darwinbox_payload()).encode()
    headers = signature_headers(endpoint["secret"], body, webhook_id="msg_race")
    return run_parallel([lambda: post_hook(endpoint["url"], body, headers=headers) for _ in range(SENDERS)], SENDERS)


def test_parallel_deliveries_of_one_webhook_id_record_one_event(api, world, monkeypatch):  # noqa: F811
    endpoint = create_endpoint(api)
    all_checked_before_any_writes(monkeypatch)
    answers = deliver_in_parallel(endpoint)
    assert sorted(a.status_code for a in answers) == [200] * (SENDERS - 1) + [201]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 1, "points_requests": 1}
    assert api.get("/api/v1/wallets/E1/").json()["balance"] == 500


def test_without_the_receipt_conflict_handled_the_losers_fail(api, world, monkeypatch):  # noqa: F811
    """The harness sees the race: catching nothing, the senders that lost it get 500s."""
    endpoint = create_endpoint(api)
    all_checked_before_any_writes(monkeypatch)
    monkeypatch.setattr(hook_services, "IntegrityError", type("NeverRaised", (Exception,), {}))
    answers = deliver_in_parallel(endpoint)
    assert sorted(a.status_code for a in answers) == [201] + [500] * (SENDERS - 1)
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 1, "points_requests": 1}
