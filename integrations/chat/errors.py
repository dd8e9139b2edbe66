"""Slack and Teams errors: channels, their notifications and test messages (REST and admin show the same codes)."""

from plum.core.errors import DomainError, ErrorCode


class ChatErrorCode(ErrorCode):
    CHANNEL_NOT_FOUND = "channel_not_found", 404
    CHANNEL_INACTIVE = "channel_inactive", 409
    TEAM_ID_TAKEN = "team_id_taken", 409
    URL_NOT_ALLOWED = "url_not_allowed", 422
    UNKNOWN_EVENT_TYPE = "unknown_event_type", 400
    UNKNOWN_PLACEHOLDER = "unknown_placeholder", 400
    APPROVER_NOT_FOUND = "approver_not_found", 422
    INVALID_CHANNEL = "invalid_channel", 422  # what the kind needs, Slack ids' shapes, template placeholders


class ChatError(DomainError):
    pass
