"""Celery tasks of Slack and Teams notifications. Safe to run twice or side by side: the dispatcher claims rows
with SKIP LOCKED, and a send does nothing unless its notification still holds the message's token.

Beat (plum/celery.py) runs the dispatcher every few seconds; the outbox relay (integrations.webhooks.tasks)
creates the notifications and dispatches at once what it has just created."""

from datetime import datetime

from celery import shared_task

from integrations.chat.services import notifications


def queue_sends(notification_ids: list, token: datetime) -> None:
    """One message per channel's share of a claim (called after the claim's commit)."""
    send_notifications_task.delay([str(pk) for pk in notification_ids], token.isoformat())


@shared_task(name="integrations.chat.tasks.dispatch_notifications_task")
def dispatch_notifications_task() -> int:
    return notifications.notifications_dispatch(send=queue_sends)


@shared_task(name="integrations.chat.tasks.send_notifications_task")
def send_notifications_task(notification_ids: list[str], token: str) -> int:
    """Answers how many it sent (a stale or duplicate message sends none)."""
    return len(notifications.notifications_send(notification_ids, datetime.fromisoformat(token)))
