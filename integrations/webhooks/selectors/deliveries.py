"""A subscription's deliveries and their attempts, as every door shows them, scoped to the caller's organisation."""

from collections.abc import Mapping

import django_filters
from django.db.models import QuerySet

from integrations.webhooks.errors import WebhooksError, WebhooksErrorCode
from integrations.webhooks.models import Delivery, DeliveryAttempt, Subscription
from integrations.webhooks.selectors.subscriptions import subscription_get
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso

# What a list shows: never the body, which may be large (the admin's detail page shows it).
LISTED = ("id", "subscription_id", "event_id", "event_type", "state", "attempts", "last_status_code", "last_error")
LISTED += ("next_attempt_at", "created_at", "delivered_at")


class DeliveryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Delivery.State.choices)
    event_type = django_filters.CharFilter(max_length=64)

    class Meta:
        model = Delivery
        fields = ["state", "event_type"]


def subscription_of(*, actor: Actor, subscription_id) -> Subscription:
    """The organisation's subscription, or 404 subscription_not_found (another organisation's too)."""
    return subscription_get(actor=actor, subscription_id=subscription_id)


def delivery_list(*, actor: Actor, subscription_id, filters: Mapping | None = None) -> QuerySet[Delivery]:
    subscription = subscription_of(actor=actor, subscription_id=subscription_id)
    deliveries = Delivery.objects.filter(organisation_id=actor.organisation_id, subscription=subscription).only(*LISTED)
    filterset = DeliveryFilter(data=filters or {}, queryset=deliveries)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def delivery_get(*, actor: Actor, subscription_id, delivery_id) -> Delivery:
    pk = parse_uuid(delivery_id)
    delivery = None if pk is None else delivery_list(actor=actor, subscription_id=subscription_id).filter(pk=pk).first()
    if delivery is None:
        raise WebhooksError(WebhooksErrorCode.DELIVERY_NOT_FOUND, f"No delivery {str(delivery_id)!r} of this webhook.")
    return delivery


def delivery_document(d: Delivery) -> dict:
    """The one representation of a delivery (API.md's fields, then when it was created and delivered)."""
    return {
        "id": str(d.pk),
        "event_id": str(d.event_id),
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "next_attempt_at": iso(d.next_attempt_at),
        "created_at": iso(d.created_at),
        "delivered_at": iso(d.delivered_at),
    }


def delivery_admin_list() -> QuerySet[Delivery]:
    """Every organisation's deliveries, for operations staff (the body deferred: the detail page reads it)."""
    return Delivery.objects.select_related("subscription__organisation").defer("body")


def delivery_attempts(delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("number")
