"""The relay's fan-out to chat channels: one notification per (active channel announcing the type, event), with
the event's data, in the relay's transaction; exactly one row when two relays race over one event (SKIP
LOCKED splits the claim; a naive claim that takes the event twice is still one row thanks to the unique key
and ON CONFLICT DO NOTHING; without ON CONFLICT the naive relay fails, so the harness sees the race)."""

import threading

import pytest
from django.db import connection

from integrations.chat.models import Notification
from integrations.chat.services import fanout
from integrations.chat.tests.test_out_support import make_channel, notifications_of
from integrations.webhooks.services import relay
from integrations.webhooks.tests.test_deliveries_support import emit
from integrations.webhooks.tests.test_relay import NAIVE_CLAIM, _lock_waiters, _naive_claim
from plum.core.models import OutboxEvent

URL = "https://93.184.215.14/services/T0/B0/x"


@pytest.mark.django_db
def test_each_announcing_active_channel_gets_one_notification_with_the_events_data(tenant, other_tenant):
    org = tenant.organisation.id
    credits = make_channel(org, webhook_url=URL)
    both = make_channel(org, "teams_workflow", ["voucher.issued", "points_request.credited"], webhook_url=URL)
    make_channel(org, events=["voucher.issued"], webhook_url=URL)
    inactive = make_channel(org, webhook_url=URL, active=False)
    foreign = make_channel(other_tenant.organisation.id, webhook_url=URL)
    emit(org, "points_request.credited", employee_id="E7", points=5, reason='Zoë "quoted" \\ ')
    assert relay.outbox_relay() == relay.Relayed(events=1, deliveries=0, notifications=2)
    event = OutboxEvent.objects.get()
    for channel in (credits, both):
        [notification] = notifications_of(channel)
        assert (notification.event_id, notification.event_type, notification.organisation_id) == (
            event.event_id,
            "points_request.credited",
            org,
        )
        assert notification.data == {"n": 0, "employee_id": "E7", "points": 5, "reason": 'Zoë "quoted" \\ '}
        assert (notification.state, notification.attempts, notification.message_ref) == ("pending", 0, {})
    assert notifications_of(inactive) == notifications_of(foreign) == []
    assert relay.outbox_relay() == relay.Relayed()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("variant", ["skip locked", "naive claim", "naive claim and insert"])
def test_two_relays_racing_over_one_event_leave_one_notification(tenant, monkeypatch, variant):
    org = tenant.organisation.id
    channel = make_channel(org, webhook_url=URL)
    emit(org, "points_request.credited")
    if variant != "skip locked":
        monkeypatch.setattr(relay, "CLAIM_SQL", NAIVE_CLAIM)
        monkeypatch.setattr(relay, "claim_rows", _naive_claim)
    if variant == "naive claim and insert":
        monkeypatch.setattr(
            fanout, "INSERT_SQL", fanout.INSERT_SQL.replace("ON CONFLICT (channel_id, event_id) DO NOTHING", "")
        )
    claims_done, lock = [0], threading.Lock()
    real_claim, real_types = relay.claim_rows, relay._subscribed_types

    def counted_claim(*args, **kwargs):
        try:
            return real_claim(*args, **kwargs)
        finally:
            with lock:
                claims_done[0] += 1

    def held_types(organisation_ids):
        # the first relay waits here until the second has claimed too or is blocked on the first's row locks
        for _ in range(500):
            if claims_done[0] == 2 or _lock_waiters():
                break
            threading.Event().wait(0.01)
        return real_types(organisation_ids)

    monkeypatch.setattr(relay, "claim_rows", counted_claim)
    monkeypatch.setattr(relay, "_subscribed_types", held_types)
    start, results, errors = threading.Barrier(2), [], []

    def run():
        start.wait()
        try:
            results.append(relay.outbox_relay_chunk(size=10))
        except Exception as exc:
            errors.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(notifications_of(channel)) == 1
    assert Notification.objects.count() == 1
    if variant == "skip locked":
        assert sorted(r.events for r in results) == [0, 1] and errors == []
    elif variant == "naive claim":
        assert [r.events for r in results] == [1, 1] and sorted(r.notifications for r in results) == [0, 1]
    else:
        assert errors == ["IntegrityError"] and [r.notifications for r in results] == [1]
