"""Sending deliveries: the dispatcher's claim, one attempt, the retry schedule, "send test" and "retry".

The schedule lives in the database (Delivery.next_attempt_at), never in Celery countdowns:
- the dispatcher claims due rows (SKIP LOCKED) and sets a lease, next_attempt_at = now + LEASE, the
  message's token; the messages go after commit. A lost message (Redis flushed) or a worker killed
  mid-send leaves the row due again when the lease ends: delayed, never dropped.
- an attempt runs only if the row still holds the token it was sent with and no other worker holds its
  row lock; the lock is kept over the POST and the outcome is written in the same transaction. So a
  duplicate or stale message does nothing, two workers never send one attempt, and a worker killed
  mid-send rolls back to "due when the lease ends" (at least once; the receiver dedupes on webhook-id).
Every time comes from timezone.now() in Python (no SQL now()), so one patched clock governs a test.
"""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from integrations import outbound
from integrations.trail import record, record_changed
from integrations.webhooks.errors import WebhooksError, WebhooksErrorCode
from integrations.webhooks.models import Delivery, DeliveryAttempt, Subscription
from integrations.webhooks.selectors.deliveries import delivery_get, subscription_of
from integrations.webhooks.services.relay import delivery_body
from integrations.webhooks.services.signing import signed_headers, signing_secrets
from plum.core.actor import Actor
from plum.core.claims import claim_rows

# API.md: retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then dead: 8 attempts in all.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE = timedelta(minutes=5)  # longer than a send (outbound timeout) plus the queue's usual wait
FAILING_LIMIT = timedelta(days=5)
GONE_REASON = "Receiver answered 410 Gone"
TEST_MESSAGE = "A test event from Plum: this endpoint receives its webhooks."


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When the next attempt is due after `attempts` have failed; None once the schedule is spent (dead).
    Chat notifications (integrations.chat) follow the same schedule."""
    return None if attempts >= MAX_ATTEMPTS else now + RETRY_DELAYS[attempts - 1]


DISPATCH_SQL = """
WITH due AS MATERIALIZED (
    SELECT d.id FROM integrations_webhooks_delivery AS d
    JOIN integrations_webhooks_subscription AS s ON s.id = d.subscription_id
    WHERE d.state IN ('pending', 'failed') AND d.next_attempt_at <= %(now)s AND s.active
    ORDER BY d.next_attempt_at, d.created_at LIMIT %(size)s FOR UPDATE OF d SKIP LOCKED
)
UPDATE integrations_webhooks_delivery AS d SET next_attempt_at = %(lease)s FROM due WHERE d.id = due.id
RETURNING d.id, d.subscription_id
"""

Send = Callable[[list, datetime], None]  # (delivery ids of one subscription, token): queue the messages


def deliveries_dispatch(*, send: Send, size: int = 1000, max_rows: int = 20_000, lease: timedelta = LEASE) -> int:
    """Claim due deliveries of active subscriptions, a chunk per transaction, and hand each subscription's
    share of a chunk to `send` after its commit. Answers how many were claimed."""
    return dispatch_due(DISPATCH_SQL, send=send, size=size, max_rows=max_rows, lease=lease)


def dispatch_due(claim_sql: str, *, send: Send, size: int, max_rows: int, lease: timedelta) -> int:
    """The dispatcher of any schedule kept in the database (webhook deliveries, chat notifications): `claim_sql`
    leases due rows (next_attempt_at = the token) and answers (row id, receiver id); each receiver's share of
    a chunk goes to `send` after the chunk's commit, so a slow receiver holds back only its own."""
    claimed = 0
    while claimed < max_rows:
        with transaction.atomic():
            now = timezone.now()
            token = now + lease
            rows = claim_rows(claim_sql, {"now": now, "size": size, "lease": token}, at_most=size)
            by_receiver: dict = {}
            for row_id, receiver_id in rows:
                by_receiver.setdefault(receiver_id, []).append(row_id)
            for ids in by_receiver.values():
                transaction.on_commit(lambda ids=ids, token=token: send(ids, token))
        claimed += len(rows)
        if len(rows) < size:
            break
    return claimed


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int


def delivery_send(delivery_id, token: datetime) -> str | None:
    """One attempt of one delivery claimed with `token`: its new state, or None when there was nothing to do."""
    return deliveries_send([delivery_id], token).get(str(delivery_id))


def deliveries_send(delivery_ids: list, token: datetime) -> dict[str, str]:
    """One attempt of each delivery of a message (claimed together with `token`), in one transaction that
    holds their row locks over the POSTs and records every attempt and state. Answers {id: new state} for
    those it sent; it skips any already delivered, rescheduled since (another token), locked by another
    worker right now, or whose subscription was disabled meanwhile (a 410 earlier in this very group too)."""
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk__in=delivery_ids, state__in=Delivery.DUE, next_attempt_at=token)
            .order_by("created_at", "pk")
        )
        subscriptions = {d.subscription_id: d.subscription for d in deliveries}  # one object each: shared state
        attempts, sent, secrets = [], [], {}
        for delivery in deliveries:
            subscription = subscriptions[delivery.subscription_id]
            if not subscription.active:
                continue
            started = timezone.now()
            if subscription.pk not in secrets:  # unsealed once per subscription and message
                secrets[subscription.pk] = signing_secrets(subscription, started)
            headers = signed_headers(
                secrets=secrets[subscription.pk],
                message_id=str(delivery.event_id),
                body=delivery.body,
                now=started,
            )
            outcome = _post(subscription.url, delivery.body.encode(), headers)
            attempts.append(_record(delivery, subscription, outcome, started))
            sent.append(delivery)
        if sent:
            DeliveryAttempt.objects.bulk_create(attempts)
            _save_outcomes(sent)
        return {str(d.pk): d.state for d in sent}


# One statement for the group (bulk_update's CASE per column cost more than the POSTs).
RECORD_SQL = """
UPDATE integrations_webhooks_delivery AS d
SET attempts = v.attempts, last_status_code = v.status_code, last_error = v.error, state = v.state,
    delivered_at = v.delivered_at, next_attempt_at = v.next_attempt_at
FROM unnest(%s::uuid[], %s::int[], %s::smallint[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
     AS v(id, attempts, status_code, error, state, delivered_at, next_attempt_at)
WHERE d.id = v.id
"""


def _save_outcomes(sent: list[Delivery]) -> None:
    columns = ("pk", "attempts", "last_status_code", "last_error", "state", "delivered_at", "next_attempt_at")
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, [[getattr(d, name) for d in sent] for name in columns])


def _post(url: str, content: bytes, headers: dict) -> Outcome:
    began = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - began) * 1000)

    try:
        answer = outbound.post(url, content=content, headers=headers)
    except outbound.OutboundRefused as exc:
        return Outcome(None, f"url_not_allowed: {exc}"[:500], "", elapsed())
    except outbound.OutboundFailed as exc:
        return Outcome(None, (str(exc) or type(exc).__name__)[:500], "", elapsed())
    error = "" if 200 <= answer.status_code < 300 else f"Receiver answered {answer.status_code}"
    return Outcome(answer.status_code, error, (answer.text or "")[:1000], answer.elapsed_ms)


def _record(delivery: Delivery, subscription: Subscription, outcome: Outcome, started: datetime) -> DeliveryAttempt:
    """The delivery's new state (saved by the caller, with the attempt answered here) and the subscription's:
    written at once, and only when it changes (a healthy subscription costs no query)."""
    now = timezone.now()
    number = delivery.attempts + 1
    delivery.attempts, delivery.last_status_code, delivery.last_error = number, outcome.status_code, outcome.error
    if outcome.status_code is not None and 200 <= outcome.status_code < 300:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = Delivery.State.DELIVERED, now, None
        if subscription.failing_since is not None:
            _change(subscription, now, failing_since=None)
    elif outcome.status_code == 410:
        delivery.state, delivery.next_attempt_at = Delivery.State.DEAD, None
        _change(subscription, now, active=False, disabled_reason=GONE_REASON)
    else:
        delivery.next_attempt_at = retry_at(number, now)
        delivery.state = Delivery.State.DEAD if delivery.next_attempt_at is None else Delivery.State.FAILED
        if subscription.failing_since is None:
            _change(subscription, now, failing_since=now)
        elif subscription.failing_since <= now - FAILING_LIMIT:
            since = f"{subscription.failing_since:%Y-%m-%d %H:%M}"
            reason = f"Deliveries failing since {since} UTC (5 days): {outcome.error}"[:300]
            _change(subscription, now, active=False, disabled_reason=reason)
    return DeliveryAttempt(
        delivery=delivery,
        number=number,
        attempted_at=started,
        status_code=outcome.status_code,
        error=outcome.error,
        answer_excerpt=outcome.excerpt,
        duration_ms=outcome.duration_ms,
    )


def _change(subscription: Subscription, now: datetime, **fields) -> None:
    """Write a subscription change (row-locked by the UPDATE until commit) and mirror it on the object the
    rest of the group reads. Another worker may have changed it since we read it: the database decides."""
    rows = Subscription.objects.filter(pk=subscription.pk)
    if "failing_since" in fields and fields["failing_since"] is not None:
        rows = rows.filter(failing_since__isnull=True)  # the first failure stays the mark
    if fields.get("active") is False:
        rows = rows.filter(active=True)  # the first reason stays
    rows.update(**fields, updated_at=now)
    for name, value in fields.items():
        setattr(subscription, name, value)


def _send_now(delivery: Delivery) -> None:
    """Queue the delivery's attempt after commit. It is due now as well: should the message be lost, the
    dispatcher takes it (and a message that finds it claimed since does nothing)."""
    from integrations.webhooks.tasks import send_deliveries_task  # tasks import this module

    ids, token = [str(delivery.pk)], delivery.next_attempt_at.isoformat()
    transaction.on_commit(lambda: send_deliveries_task.delay(ids, token))


def delivery_send_test(*, actor: Actor, subscription_id) -> Delivery:
    """A webhook.test event for this one subscription (whatever its `events`), sent by this process right
    after the commit, through the same send as every delivery, so the answer tells how it went (a test is
    for a person at a screen). Claimed with a lease: if this process dies mid-send, the dispatcher sends it."""
    with transaction.atomic():
        subscription = _active_subscription(actor, subscription_id)
        now, event_id = timezone.now(), uuid.uuid4()
        data = json.dumps({"message": TEST_MESSAGE, "webhook": str(subscription.pk)})
        body = delivery_body(
            event_id=event_id,
            event_type="webhook.test",
            created_at=now,
            organisation_id=subscription.organisation_id,
            payload_json=data,
        )
        delivery = Delivery.objects.create(
            organisation_id=subscription.organisation_id,
            subscription=subscription,
            event_id=event_id,
            event_type="webhook.test",
            body=body,
            next_attempt_at=now + LEASE,
            created_at=now,
        )
        token = delivery.next_attempt_at
        record(actor, "webhook_subscription.tested", subscription.pk, {"delivery": [None, str(delivery.pk)]})
        transaction.on_commit(lambda: deliveries_send([delivery.pk], token))
    return delivery


def delivery_retry(*, actor: Actor, subscription_id, delivery_id) -> Delivery:
    """A failed or dead delivery back to pending, due now, and sent at once. Its attempts go on counting: a
    retried dead delivery gets one more attempt (dead again if it fails), a failed one resumes its schedule.
    A delivered or still pending one is 409 delivery_not_retryable."""
    with transaction.atomic():
        subscription = _active_subscription(actor, subscription_id)
        found = delivery_get(actor=actor, subscription_id=subscription.pk, delivery_id=delivery_id)
        delivery = Delivery.objects.select_for_update(of=("self",)).get(pk=found.pk)  # waits for a send in flight
        if delivery.state not in (Delivery.State.FAILED, Delivery.State.DEAD):
            raise WebhooksError(
                WebhooksErrorCode.DELIVERY_NOT_RETRYABLE,
                f"This delivery is {delivery.state}: only a failed or dead delivery can be retried.",
            )
        before = {"state": delivery.state, "next_attempt_at": delivery.next_attempt_at}
        delivery.state, delivery.next_attempt_at = Delivery.State.PENDING, timezone.now()
        delivery.save(update_fields=["state", "next_attempt_at"])
        after = {"state": delivery.state, "next_attempt_at": delivery.next_attempt_at}
        record_changed(actor, "webhook_delivery.retried", delivery.pk, before, after)
        _send_now(delivery)
    return delivery


def _active_subscription(actor: Actor, subscription_id) -> Subscription:
    subscription = subscription_of(actor=actor, subscription_id=subscription_id)
    if not subscription.active:
        raise WebhooksError(
            WebhooksErrorCode.SUBSCRIPTION_INACTIVE,
            "This webhook is disabled"
            + (f" ({subscription.disabled_reason})" if subscription.disabled_reason else "")
            + ": enable it first.",
        )
    return subscription
