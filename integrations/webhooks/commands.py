"""Typed input of the webhook subscription writes, for every door (REST, admin)."""

from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, Field, StrictBool, StrictStr, WithJsonSchema

from integrations.webhooks.errors import WebhooksErrorCode
from integrations.webhooks.models import Subscription
from plum.core.commands import Command, rule_error, text
from plum.core.errors import CoreErrorCode

# API.md → Outbound webhooks: the event types a subscription may ask for.
EVENT_TYPES = (
    "employee.created",
    "employee.updated",
    "employee.deactivated",
    "points_request.credited",
    "points_request.pending_approval",
    "points_request.rejected",
    "points_request.reversed",
    "points_batch.completed",
    "voucher.issued",
    "voucher.redeemed",
    "voucher.expired",
    "campaign.completed",
    "event.received",
    "hrms_sync.completed",
    "webhook.test",
)
URL_MAX_LENGTH = Subscription._meta.get_field("url").max_length
URL_RULE = f"An absolute http or https URL of at most {URL_MAX_LENGTH} characters."


def _absolute_url(value: str) -> str:
    """Shape only (scheme and host); whether Plum may call it is the service's check (url_not_allowed)."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise rule_error(CoreErrorCode.INVALID, URL_RULE) from None
    if not url.scheme or not url.host or any(c.isspace() for c in value):
        raise rule_error(CoreErrorCode.INVALID, URL_RULE)
    return value


def _known_event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise rule_error(WebhooksErrorCode.UNKNOWN_EVENT_TYPE, f"Unknown event type {value!r}.")
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # a repeated type is asked once, in the order first given


Url = Annotated[
    text(URL_MAX_LENGTH, strip=True, min_length=1),
    AfterValidator(_absolute_url),
    Field(
        description=f"Where deliveries are POSTed: http or https, at most {URL_MAX_LENGTH} characters; it must "
        "not resolve to a loopback, private, link-local or metadata address (422 url_not_allowed)",
        json_schema_extra={"format": "uri"},
    ),
]
EventTypes = Annotated[
    list[
        Annotated[
            text(64),
            AfterValidator(_known_event_type),
            WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)}),
        ]
    ],
    Field(min_length=1, description="One or more event types; a repeated one counts once"),
    AfterValidator(_distinct),
]


class SubscriptionCreate(Command):
    """A new subscription; its signing secret is in the answer, once."""

    url: Url
    events: EventTypes
    active: StrictBool = True

    error_messages = {
        "url": URL_RULE,
        ("events", "too_short"): "At least one event type.",
        ("events", "list_type"): "Must be a list of event types.",
        ("events", "string_type"): "Must be an event type.",
    }


class SubscriptionChanges(Command):
    """Omitted fields keep their values. `active: true` clears disabled_reason and failing_since."""

    url: Url = None
    events: EventTypes = None
    active: StrictBool = None

    error_messages = SubscriptionCreate.error_messages


class SubscriptionRef(Command):
    """One subscription, by its id as given (one that is not a UUID is not found: 404)."""

    subscription_id: StrictStr


class SubscriptionUpdate(SubscriptionChanges, SubscriptionRef):
    """The subscription to change, by id, and the changes."""

    @classmethod
    def of(cls, subscription_id: str, data: Any) -> "SubscriptionUpdate":
        """The changes a body asks of the subscription its path names (the body cannot name another)."""
        changes = SubscriptionChanges.parse(data)
        return cls.model_validate({"subscription_id": subscription_id, **changes.given()})

    def changes(self) -> dict:
        return {name: value for name, value in self.given().items() if name != "subscription_id"}
