"""Webhook subscriptions: create, change, deactivate, rotate the signing secret.

The secret (whsec_…) is sealed at rest (plum.core.keys) and shown once, on creation and rotation. After a
rotation the previous secret stays valid for 24 hours (plum.core.keys.SECRET_GRACE): deliveries are signed
with both meanwhile (Standard Webhooks allows several signatures), so a receiver can switch at its own pace.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations import outbound
from integrations.trail import record, record_changed, record_created, values_of
from integrations.webhooks.commands import SubscriptionCreate, SubscriptionRef, SubscriptionUpdate
from integrations.webhooks.errors import WebhooksError, WebhooksErrorCode
from integrations.webhooks.models import Subscription
from integrations.webhooks.selectors.subscriptions import subscription_get
from plum.core.actor import Actor
from plum.core.keys import ROTATED_FIELDS, new_webhook_secret, rotate_secret, seal

DELETED_REASON = "Deleted."
AUDITED = ("url", "events", "active", "disabled_reason", "failing_since")  # never the signing secret


@dataclass(frozen=True)
class IssuedSecret:
    subscription: Subscription
    secret: str  # plain text, shown once; only its sealed form is stored


def check_url_allowed(url: str) -> None:
    """422 url_not_allowed unless the outbound guard would call this URL now (it checks again at send)."""
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise WebhooksError(
            WebhooksErrorCode.URL_NOT_ALLOWED, f"Plum may not call this URL: {exc}.", field="url"
        ) from None


def subscription_create(*, actor: Actor, command: SubscriptionCreate) -> IssuedSecret:
    check_url_allowed(command.url)
    secret = new_webhook_secret()
    with transaction.atomic():
        subscription = Subscription.objects.create(
            organisation_id=actor.organisation_id,
            url=command.url,
            events=command.events,
            active=command.active,
            secret_sealed=seal(secret, actor.organisation_id),
        )
        values = values_of(subscription, ("url", "events", "active"))
        record_created(actor, "webhook_subscription.created", subscription.pk, values)
    return IssuedSecret(subscription=subscription, secret=secret)


def subscription_update(*, actor: Actor, command: SubscriptionUpdate) -> Subscription:
    """Changes what was sent; a url sent is checked again; `active: true` clears the failure state. A PATCH
    that changes nothing writes nothing."""
    changes = command.changes()
    subscription_get(actor=actor, subscription_id=command.subscription_id)  # 404 before any resolving
    if "url" in changes:
        check_url_allowed(changes["url"])
    if changes.get("active") is True:
        changes.update(disabled_reason="", failing_since=None)
    with transaction.atomic():
        subscription = _locked(actor, command.subscription_id)
        changed = [name for name, value in changes.items() if getattr(subscription, name) != value]
        before = values_of(subscription, AUDITED)
        for name in changed:
            setattr(subscription, name, changes[name])
        if changed:
            subscription.save(update_fields=[*changed, "updated_at"])
            after = values_of(subscription, AUDITED)
            record_changed(actor, "webhook_subscription.updated", subscription.pk, before, after)
    return subscription


def subscription_deactivate(*, actor: Actor, command: SubscriptionRef) -> Subscription:
    """DELETE: the subscription stops receiving (active false, disabled_reason "Deleted.") and stays listed
    with its deliveries' history; PATCH active true brings it back. Deactivating twice changes nothing."""
    with transaction.atomic():
        subscription = _locked(actor, command.subscription_id)
        if subscription.active or not subscription.disabled_reason:
            before = values_of(subscription, AUDITED)
            subscription.active, subscription.disabled_reason = False, DELETED_REASON
            subscription.save(update_fields=["active", "disabled_reason", "updated_at"])
            after = values_of(subscription, AUDITED)
            record_changed(actor, "webhook_subscription.deactivated", subscription.pk, before, after)
    return subscription


def subscription_rotate_secret(*, actor: Actor, command: SubscriptionRef) -> IssuedSecret:
    """A new secret; the one it replaces keeps signing (alongside) for 24 hours. A secret replaced
    earlier, still in its grace, stops at once: two rotations within a day leave the last two valid."""
    with transaction.atomic():
        subscription = _locked(actor, command.subscription_id)
        secret = rotate_secret(subscription, timezone.now())
        subscription.save(update_fields=[*ROTATED_FIELDS, "updated_at"])
        record(actor, "webhook_subscription.secret_rotated", subscription.pk)  # never a secret
    return IssuedSecret(subscription=subscription, secret=secret)


def _locked(actor: Actor, subscription_id) -> Subscription:
    return subscription_get(actor=actor, subscription_id=subscription_id, for_update=True)
