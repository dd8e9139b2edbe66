"""Sending deliveries to real receivers on 127.0.0.1, in-process with a clock the test moves: the retry schedule
exactly (a receiver down for an hour, then up), 410 and 5 days failing disable the subscription, Standard
Webhooks signatures (webhook-id stable across retries, both secrets during a rotation's grace), and a
duplicate or stale message sending nothing."""

import json
from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.webhooks.models import Delivery, DeliveryAttempt, Subscription
from integrations.webhooks.services import deliveries, relay
from integrations.webhooks.services.deliveries import RETRY_DELAYS, deliveries_dispatch, delivery_send
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import deliveries_of, emit, make_subscription, refused_url
from plum.core.keys import new_webhook_secret, seal
from plum.testing.plans import PLANS, force_plan, fresh_tables, stale_statistics

clock, receiver = support.clock, support.receiver  # the shared fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def run_due(django_capture_on_commit_callbacks):
    """The dispatcher, then each message it queued, as a worker would run them. Answers the attempts made."""

    def run() -> int:
        queued = []
        with django_capture_on_commit_callbacks(execute=True):
            deliveries_dispatch(send=lambda ids, token: queued.append((ids, token)))
        return sum(delivery_send(pk, token) is not None for ids, token in queued for pk in ids)

    return run


def attempts_of(delivery) -> list[DeliveryAttempt]:
    return list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))


def test_a_receiver_down_for_an_hour_then_up_gets_every_event_on_the_schedule(tenant, receiver, clock, run_due):
    down_until = clock.now + timedelta(hours=1)
    server = receiver(lambda got: 503 if clock.now < down_until else 200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id, count=20)
    relay.outbox_relay()
    start = clock.now

    assert run_due() == 20  # attempt 1 at once: 503
    subscription.refresh_from_db()
    assert subscription.failing_since == start and subscription.active
    # Then 5 s, 5 min, 30 min (all within the hour: 503) and 2 h (up): the schedule, to the microsecond.
    for number, delay in enumerate(RETRY_DELAYS[:4], start=2):
        due = clock.now + delay
        assert {d.next_attempt_at for d in deliveries_of(subscription)} == {due}
        clock.now = due - timedelta(microseconds=1)
        assert run_due() == 0  # not due yet: nothing is sent
        clock.now = due
        assert run_due() == 20
        assert {d.attempts for d in deliveries_of(subscription)} == {number}

    assert len(server.received) == 20 * 5
    assert {d.state for d in deliveries_of(subscription)} == {"delivered"}
    for delivery in deliveries_of(subscription):
        made = attempts_of(delivery)
        assert [a.status_code for a in made] == [503, 503, 503, 503, 200]
        assert [b.attempted_at - a.attempted_at for a, b in pairwise(made)] == list(RETRY_DELAYS[:4])
        assert (delivery.last_status_code, delivery.last_error, delivery.next_attempt_at) == (200, "", None)
        assert delivery.delivered_at == start + sum(RETRY_DELAYS[:4], timedelta())
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.active
    assert sorted(server.ids()) == sorted(str(d.event_id) for d in deliveries_of(subscription) for _ in range(5))


def test_eight_failed_attempts_make_a_delivery_dead(tenant, clock, run_due):
    subscription, _ = make_subscription(tenant.organisation.id, refused_url())
    emit(tenant.organisation.id)
    relay.outbox_relay()
    run_due()
    for delay in RETRY_DELAYS:
        clock.advance(seconds=delay.total_seconds())
        assert run_due() == 1
    [delivery] = deliveries_of(subscription)
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("dead", 8, None)
    assert delivery.last_status_code is None and delivery.last_error.startswith("ConnectError")
    made = attempts_of(delivery)
    assert [b.attempted_at - a.attempted_at for a, b in pairwise(made)] == list(RETRY_DELAYS)
    clock.advance(days=30)
    assert run_due() == 0 and DeliveryAttempt.objects.filter(delivery=delivery).count() == 8


def test_a_410_disables_the_subscription_and_kills_the_delivery(tenant, receiver, run_due):
    server = receiver(410)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id)
    relay.outbox_relay()
    assert run_due() == 1
    subscription.refresh_from_db()
    assert (subscription.active, subscription.disabled_reason) == (False, "Receiver answered 410 Gone")
    [delivery] = deliveries_of(subscription)
    assert (delivery.state, delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (
        "dead",
        1,
        410,
        None,
    )
    emit(tenant.organisation.id)
    assert relay.outbox_relay().deliveries == 0  # a disabled subscription gets no new deliveries
    assert run_due() == 0 and len(server.received) == 1


@pytest.mark.parametrize(
    ("failing_for", "disabled"), [(timedelta(days=5, minutes=1), True), (timedelta(days=4), False)]
)
def test_a_subscription_failing_for_5_days_is_disabled_with_a_reason(
    tenant, receiver, clock, run_due, failing_for, disabled
):
    server = receiver(500)
    subscription, _ = make_subscription(tenant.organisation.id, server.url, failing_since=clock.now - failing_for)
    emit(tenant.organisation.id)
    relay.outbox_relay()
    assert run_due() == 1
    subscription.refresh_from_db()
    [delivery] = deliveries_of(subscription)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "Receiver answered 500")
    assert subscription.failing_since == clock.now - failing_for  # the first failure stays the mark
    assert subscription.active is not disabled
    if disabled:
        since = (clock.now - failing_for).strftime("%Y-%m-%d %H:%M")
        assert subscription.disabled_reason == f"Deliveries failing since {since} UTC (5 days): Receiver answered 500"
        clock.advance(seconds=5)
        assert run_due() == 0 and len(server.received) == 1  # nothing more goes to it
    else:
        assert subscription.disabled_reason == ""


def verifying(secret: str, then=200):
    def answer(got):
        try:
            Webhook(secret).verify(got.body, got.headers)
        except WebhookVerificationError:
            return 401
        return then(got) if callable(then) else then

    return answer


def test_signatures_verify_at_the_receiver_and_webhook_id_is_stable_across_retries(tenant, receiver, clock, run_due):
    secret = new_webhook_secret()
    answers = iter([500, 200])
    server = receiver(None)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    Subscription.objects.filter(pk=subscription.pk).update(secret_sealed=seal(secret, tenant.organisation.id))
    server.status = verifying(secret, lambda got: next(answers))
    emit(tenant.organisation.id)
    relay.outbox_relay()
    run_due()
    clock.advance(seconds=5)
    run_due()
    [delivery] = deliveries_of(subscription)
    assert [a.status_code for a in attempts_of(delivery)] == [500, 200]  # both verified (else 401)
    first, second = server.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.event_id)
    assert first.json["id"] == str(delivery.event_id) and first.body == second.body == delivery.body.encode()
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 5
    assert first.headers["content-type"] == "application/json"


@pytest.mark.parametrize("in_grace", [True, False])
def test_during_a_rotations_grace_both_secrets_sign(tenant, receiver, run_due, in_grace):
    org = tenant.organisation.id
    current, previous = new_webhook_secret(), new_webhook_secret()
    server = receiver(200)
    subscription, _ = make_subscription(
        org,
        server.url,
        previous_secret_sealed=seal(previous, org),
        previous_secret_expires_at=timezone.now() + timedelta(hours=1 if in_grace else -1),
    )
    Subscription.objects.filter(pk=subscription.pk).update(secret_sealed=seal(current, org))
    emit(org)
    relay.outbox_relay()
    run_due()
    [got] = server.received
    assert got.headers["webhook-signature"].count("v1,") == (2 if in_grace else 1)
    assert Webhook(current).verify(got.body, got.headers) == json.loads(deliveries_of(subscription)[0].body)
    if in_grace:
        Webhook(previous).verify(got.body, got.headers)
    else:
        with pytest.raises(WebhookVerificationError):
            Webhook(previous).verify(got.body, got.headers)


def test_a_duplicate_or_stale_message_sends_nothing(tenant, receiver, run_due, django_capture_on_commit_callbacks):
    server = receiver(200)
    subscription, _ = make_subscription(tenant.organisation.id, server.url)
    emit(tenant.organisation.id, count=2)
    relay.outbox_relay()
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_dispatch(send=lambda ids, token: queued.append((ids, token)))
    [(ids, token)] = queued
    assert delivery_send(ids[0], token) == "delivered"
    assert delivery_send(ids[0], token) is None  # the same message again: already delivered
    assert delivery_send(ids[1], token - timedelta(microseconds=1)) is None  # not the token it holds
    assert len(server.received) == 1
    assert Delivery.objects.get(pk=ids[1]).state == "pending"
    assert deliveries.deliveries_dispatch(send=lambda ids, token: None) == 0  # leased: not claimed again


@pytest.mark.parametrize("plan", PLANS)
def test_a_dispatch_claims_exactly_its_size_on_the_plans_that_broke_claims(tenant, plan):
    fresh_tables(Delivery._meta.db_table)
    subscription, _ = make_subscription(tenant.organisation.id, "https://93.184.215.14/hook")
    emit(tenant.organisation.id, count=30)
    relay.outbox_relay()
    stale_statistics(Delivery._meta.db_table, Subscription._meta.db_table)
    force_plan(plan)
    queued = []
    assert deliveries_dispatch(send=lambda ids, token: queued.append(ids), size=7, max_rows=7) == 7
    leased = Delivery.objects.filter(subscription=subscription, next_attempt_at__gt=timezone.now())
    assert leased.count() == 7


def test_a_message_carries_one_subscriptions_deliveries_so_a_slow_receiver_holds_back_only_its_own(
    tenant, other_tenant, django_capture_on_commit_callbacks
):
    ours, _ = make_subscription(tenant.organisation.id, refused_url())
    theirs, _ = make_subscription(other_tenant.organisation.id, refused_url())
    emit(tenant.organisation.id, count=3)
    emit(other_tenant.organisation.id, count=2)
    relay.outbox_relay()

    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_dispatch(send=lambda ids, token: queued.append(ids)) == 5

    messages = [
        (set(Delivery.objects.filter(pk__in=ids).values_list("subscription", flat=True)), len(ids)) for ids in queued
    ]
    assert sorted(messages, key=lambda m: m[1]) == [({theirs.pk}, 2), ({ours.pk}, 3)]
