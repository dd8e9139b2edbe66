"""Outbound webhook errors: subscriptions and deliveries (REST and GraphQL render the same codes)."""

from plum.core.errors import DomainError, ErrorCode


class WebhooksErrorCode(ErrorCode):
    URL_NOT_ALLOWED = "url_not_allowed", 422
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found", 404
    SUBSCRIPTION_INACTIVE = "subscription_inactive", 409
    DELIVERY_NOT_FOUND = "delivery_not_found", 404
    DELIVERY_NOT_RETRYABLE = "delivery_not_retryable", 409
    UNKNOWN_EVENT_TYPE = "unknown_event_type", 400


class WebhooksError(DomainError):
    pass
