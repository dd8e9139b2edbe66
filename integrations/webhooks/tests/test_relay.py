"""The outbox relay: one delivery per matching active subscription and event, in the transaction that marks the
event relayed; in outbox id order; never across organisations; exactly once with two relays racing (the naive
claim relays every event twice); a claim takes exactly its chunk on the plans that broke claims."""

import json
import threading

import pytest
from django.db import connection

from integrations.webhooks.models import Delivery
from integrations.webhooks.services import relay
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import deliveries_of, emit, make_subscription
from plum.core.models import OutboxEvent
from plum.core.timefmt import iso
from plum.testing.plans import PLANS, force_plan, fresh_tables, stale_statistics

clock = support.clock  # the shared fixtures

URL = "https://receiver.example/hook"


@pytest.mark.django_db
def test_each_matching_active_subscription_gets_one_delivery_with_the_api_body(tenant, other_tenant, clock):
    org, other = tenant.organisation.id, other_tenant.organisation.id
    employees, _ = make_subscription(org, URL, ["employee.created"])
    both, _ = make_subscription(org, URL, ["voucher.issued", "employee.created"])
    vouchers, _ = make_subscription(org, URL, ["voucher.issued"])
    inactive, _ = make_subscription(org, URL, ["employee.created"], active=False)
    foreign, _ = make_subscription(other, URL, ["employee.created"])
    emit(org, "employee.created", employee_id="E7", name='Zoë \\ "quoted"', level=3)
    emit(org, "points_request.credited")
    emit(other, "voucher.redeemed")

    assert relay.outbox_relay() == relay.Relayed(events=3, deliveries=2)

    event = OutboxEvent.objects.get(organisation_id=org, event_type="employee.created")
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 0
    assert set(OutboxEvent.objects.values_list("published_at", flat=True)) == {clock.now}
    assert [len(deliveries_of(s)) for s in (employees, both, vouchers, inactive, foreign)] == [1, 1, 0, 0, 0]
    for subscription in (employees, both):
        delivery = deliveries_of(subscription)[0]
        assert (delivery.event_id, delivery.event_type, delivery.organisation_id) == (
            event.event_id,
            event.event_type,
            org,
        )
        assert (delivery.state, delivery.attempts, delivery.next_attempt_at, delivery.created_at) == (
            "pending",
            0,
            clock.now,
            clock.now,
        )
        assert json.loads(delivery.body) == {
            "id": str(event.event_id),
            "type": "employee.created",
            "created_at": iso(event.created_at),
            "organisation": str(org),
            "data": {"n": 0, "employee_id": "E7", "name": 'Zoë \\ "quoted"', "level": 3},
        }
    assert relay.outbox_relay() == relay.Relayed()  # nothing left: nothing more is created
    assert Delivery.objects.count() == 2


@pytest.mark.django_db
def test_an_event_of_another_organisation_never_reaches_this_organisations_subscription(tenant, other_tenant):
    org, other = tenant.organisation.id, other_tenant.organisation.id
    mine, _ = make_subscription(org, URL, ["employee.created"])
    emit(other, "employee.created", count=5)
    assert relay.outbox_relay() == relay.Relayed(events=5, deliveries=0)
    assert deliveries_of(mine) == []


@pytest.mark.django_db
def test_chunks_go_in_outbox_id_order(tenant):
    org = tenant.organisation.id
    subscription, _ = make_subscription(org, URL, ["employee.created"])
    for n in range(5):
        emit(org, "employee.created", employee_id=f"E{n}")
    for expected in (2, 2, 1):
        assert relay.outbox_relay_chunk(size=2) == relay.Relayed(events=expected, deliveries=expected)
    by_event = {d.event_id: d.created_at for d in deliveries_of(subscription)}
    in_id_order = [by_event[e] for e in OutboxEvent.objects.order_by("id").values_list("event_id", flat=True)]
    assert in_id_order == sorted(in_id_order) and len(set(in_id_order)) == 3  # one moment per chunk, rising


@pytest.mark.django_db
@pytest.mark.parametrize("plan", PLANS)
def test_a_relay_chunk_claims_exactly_its_size_on_the_plans_that_broke_claims(tenant, plan):
    fresh_tables(OutboxEvent._meta.db_table)
    org = tenant.organisation.id
    subscription, _ = make_subscription(org, URL, ["employee.created"])
    emit(org, "employee.created", count=30)
    stale_statistics(OutboxEvent._meta.db_table)
    force_plan(plan)
    assert relay.outbox_relay_chunk(size=7) == relay.Relayed(events=7, deliveries=7)
    first = list(OutboxEvent.objects.order_by("id").values_list("event_id", "published_at")[:8])
    assert [published is not None for _, published in first] == [True] * 7 + [False]
    assert {d.event_id for d in deliveries_of(subscription)} == {event_id for event_id, _ in first[:7]}


NAIVE_CLAIM = relay.CLAIM_SQL.replace("FOR UPDATE SKIP LOCKED", "")


def _naive_claim(sql, params, *, at_most):
    with connection.cursor() as cursor:  # no shape check, no lock: what a first draft does
        cursor.execute(sql, params)
        return cursor.fetchall()


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("naive", [False, True], ids=["skip locked", "naive"])
def test_two_relays_racing_relay_each_event_once_and_the_naive_claim_twice(tenant, monkeypatch, naive):
    org = tenant.organisation.id
    subscription, _ = make_subscription(org, URL, ["employee.created"])
    emit(org, "employee.created", count=200)
    if naive:
        monkeypatch.setattr(relay, "CLAIM_SQL", NAIVE_CLAIM)
        monkeypatch.setattr(relay, "claim_rows", _naive_claim)
    claims_done, lock = [0], threading.Lock()
    real_claim, real_types = relay.claim_rows, relay._subscribed_types

    def counted_claim(*args, **kwargs):
        try:
            return real_claim(*args, **kwargs)
        finally:
            with lock:
                claims_done[0] += 1

    def held_types(organisation_ids):
        # Hold the first relay's transaction until the second has claimed (or is blocked on its locks).
        for _ in range(500):
            if claims_done[0] == 2 or _lock_waiters():
                break
            threading.Event().wait(0.01)
        return real_types(organisation_ids)

    monkeypatch.setattr(relay, "claim_rows", counted_claim)
    monkeypatch.setattr(relay, "_subscribed_types", held_types)
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            results.append(relay.outbox_relay_chunk(size=500))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(results) == 2
    # SKIP LOCKED: the two claims split the rows between them; the naive claim: both relay all of them.
    assert sum(r.events for r in results) == (400 if naive else 200)
    # The unique (subscription, event_id) still keeps one delivery per event even for the naive claim.
    assert len(deliveries_of(subscription)) == 200
    assert Delivery.objects.values("event_id").distinct().count() == 200
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_relayed_row_is_never_relayed_again_even_if_a_subscription_is_added_later(tenant):
    org = tenant.organisation.id
    emit(org, "employee.created")
    assert relay.outbox_relay() == relay.Relayed(events=1, deliveries=0)
    late, _ = make_subscription(org, URL, ["employee.created"])
    assert relay.outbox_relay() == relay.Relayed()
    assert deliveries_of(late) == []


def test_the_sql_names_the_models_tables():
    from integrations.webhooks.models import Subscription
    from integrations.webhooks.services import deliveries

    sql = relay.CLAIM_SQL + relay.INSERT_SQL + relay.PURGE_SQL + deliveries.DISPATCH_SQL + deliveries.RECORD_SQL
    tables = {OutboxEvent._meta.db_table, Delivery._meta.db_table, Subscription._meta.db_table}
    assert tables == {"core_outboxevent", "integrations_webhooks_delivery", "integrations_webhooks_subscription"}
    assert all(table in sql for table in tables)
