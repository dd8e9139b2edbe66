"""Celery tasks of outbound webhooks. Each is safe to run twice or side by side: the relay and the dispatcher
claim rows with SKIP LOCKED, and a send does nothing unless its delivery still holds the message's token.

Beat (plum/celery.py) runs the relay every second, the dispatcher every few seconds and the purge hourly;
the relay also dispatches at once what it has just created, so an event leaves within about a second."""

import math
from datetime import datetime

from celery import shared_task

from integrations.chat.services.notifications import notifications_dispatch
from integrations.chat.tasks import queue_sends as queue_notification_sends
from integrations.webhooks.services import deliveries, relay

SEND_GROUP = 10  # deliveries per message at most: fewer messages under load, one per delivery when few
SPREAD = 8  # below SEND_GROUP * SPREAD due deliveries, messages carry fewer, so workers send side by side


def queue_sends(delivery_ids: list, token: datetime) -> None:
    """One message per small group of claimed deliveries (called after the claim's commit)."""
    ids = [str(pk) for pk in delivery_ids]
    size = max(1, min(SEND_GROUP, math.ceil(len(ids) / SPREAD)))
    for start in range(0, len(ids), size):
        send_deliveries_task.delay(ids[start : start + size], token.isoformat())


@shared_task(name="integrations.webhooks.tasks.relay_outbox_task")
def relay_outbox_task() -> int:
    relayed = relay.outbox_relay()
    if relayed.deliveries:  # committed already: send them now rather than at the dispatcher's next beat
        deliveries.deliveries_dispatch(send=queue_sends)
    if relayed.notifications:  # Slack and Teams too
        notifications_dispatch(send=queue_notification_sends)
    return relayed.events


@shared_task(name="integrations.webhooks.tasks.dispatch_deliveries_task")
def dispatch_deliveries_task() -> int:
    return deliveries.deliveries_dispatch(send=queue_sends)


@shared_task(name="integrations.webhooks.tasks.send_deliveries_task")
def send_deliveries_task(delivery_ids: list[str], token: str) -> int:
    """Answers how many attempts it made (a stale or duplicate message makes none)."""
    return len(deliveries.deliveries_send(delivery_ids, datetime.fromisoformat(token)))


@shared_task(name="integrations.webhooks.tasks.purge_outbox_task")
def purge_outbox_task() -> int:
    return relay.outbox_purge()
