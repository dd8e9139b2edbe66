"""Events with their rewards, and their one representation."""

from collections.abc import Mapping

import django_filters
from django.db.models import Prefetch, QuerySet

from integrations.events.errors import EventsError, EventsErrorCode
from integrations.events.models import Event, Reward
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.filters import UtcDateTimeFilter
from plum.core.text import storable_text
from plum.core.timefmt import iso


class EventFilter(django_filters.FilterSet):
    """GET /events/ and the GraphQL `events` query."""

    type = django_filters.CharFilter()
    employee_id = django_filters.CharFilter(field_name="employee__employee_id")
    received_since = UtcDateTimeFilter(field_name="received_at", lookup_expr="gte")

    class Meta:
        model = Event
        fields = ["type", "employee_id", "received_since"]


def _with_rewards(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("employee").prefetch_related(
        Prefetch("rewards", queryset=Reward.objects.order_by("id"))
    )


def event_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[Event]:
    events = _with_rewards(Event.objects.filter(organisation_id=actor.organisation_id))
    filterset = EventFilter(data=filters or {}, queryset=events)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def event_get(*, actor: Actor, event_id: str) -> Event:
    found = Event.objects.filter(organisation_id=actor.organisation_id, event_id=event_id)
    event = _with_rewards(found).first() if storable_text(event_id) else None  # a NUL names no event
    if event is None:
        raise EventsError(EventsErrorCode.EVENT_NOT_FOUND, "No such event in this organisation.")
    return event


def reward_document(reward: Reward) -> dict:
    return {
        "rule": str(reward.rule_id),
        "request_id": reward.request_id,
        "status": str(reward.status),
        "points": reward.points,
        "balance_after": reward.balance_after,
        "code": reward.code or None,
    }


def event_document(event: Event) -> dict:
    """The one representation of an event: REST answers, GraphQL, the event.received outbox event.
    An event just received carries the document its outbox event was written with (`_document`)."""
    if (document := getattr(event, "_document", None)) is not None:
        return document
    return {
        "event_id": event.event_id,
        "type": event.type,
        "employee_id": event.employee.employee_id,
        "occurred_at": iso(event.occurred_at),
        "received_at": iso(event.received_at),
        "source": event.source,
        "data": event.data,
        "rewards": [reward_document(reward) for reward in event.rewards.all()],
    }
