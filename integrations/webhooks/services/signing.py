"""Standard Webhooks signatures for a delivery: webhook-id (the outbox event's id, the same on every retry),
webhook-timestamp (now) and webhook-signature with the current secret and, during a rotation's grace
period, the previous one too ("v1,<a> v1,<b>": a receiver accepts either)."""

from datetime import datetime

from standardwebhooks.webhooks import Webhook

from integrations.webhooks.models import Subscription
from plum.core.keys import secrets_in_force


def signing_secrets(subscription: Subscription, now: datetime) -> list[str]:
    return secrets_in_force(subscription, now)


def signed_headers(*, secrets: list[str], message_id: str, body: str, now: datetime) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }
