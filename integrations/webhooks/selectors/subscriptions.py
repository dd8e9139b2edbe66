"""Webhook subscriptions as every door shows them (never the secret)."""

import uuid

from django.db.models import QuerySet

from integrations.webhooks.errors import WebhooksError, WebhooksErrorCode
from integrations.webhooks.models import Subscription
from plum.core.actor import Actor
from plum.core.timefmt import iso


def subscription_list(*, actor: Actor, active: bool | None = None) -> QuerySet[Subscription]:
    subscriptions = Subscription.objects.filter(organisation_id=actor.organisation_id)
    return subscriptions if active is None else subscriptions.filter(active=active)


def subscription_get(*, actor: Actor, subscription_id, for_update: bool = False) -> Subscription:
    """The organisation's subscription; another organisation's, or an id that is not a UUID, is not found.
    `for_update` locks the row (inside the caller's transaction)."""
    subscriptions = subscription_list(actor=actor)
    if for_update:
        subscriptions = subscriptions.select_for_update()
    subscription = subscriptions.filter(pk=_uuid_or_none(subscription_id)).first()
    if subscription is None:
        raise not_found(subscription_id)
    return subscription


def not_found(subscription_id) -> WebhooksError:
    return WebhooksError(WebhooksErrorCode.SUBSCRIPTION_NOT_FOUND, f"No webhook subscription {str(subscription_id)!r}.")


def _uuid_or_none(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def subscription_document(s: Subscription) -> dict:
    """The one representation of a subscription (REST; GraphQL shows the same fields)."""
    return {
        "id": str(s.pk),
        "url": s.url,
        "events": list(s.events),
        "active": s.active,
        "disabled_reason": s.disabled_reason,
        "failing_since": iso(s.failing_since),
        "previous_secret_expires_at": iso(s.previous_secret_expires_at),
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    }


def subscription_admin_list() -> QuerySet[Subscription]:
    """Every organisation's subscriptions: operations staff act across organisations."""
    return Subscription.objects.select_related("organisation")
