"""Errors of events and reward rules; REST and GraphQL render the same codes."""

from plum.core.errors import DomainError, ErrorCode


class EventsErrorCode(ErrorCode):
    EVENT_ID_CONFLICT = "event_id_conflict", 409
    REQUEST_IN_PROGRESS = "request_in_progress", 409
    EMPLOYEE_NOT_FOUND = "employee_not_found", 422
    EVENT_NOT_FOUND = "event_not_found", 404
    RULE_NOT_FOUND = "rule_not_found", 404
    RULE_NAME_EXISTS = "rule_name_exists", 409
    # Well-formed rules that cannot be kept (422, as a points request's unknown programme): the schema
    # cannot know the organisation's programmes, nor compare two fields.
    PROGRAMME_NOT_FOUND = "programme_not_found", 422
    POINTS_BOUNDS_INVERTED = "points_bounds_inverted", 422
    # The code of a refused reward (the event itself is accepted).
    LIMIT_REACHED = "limit_reached", 422


class EventsError(DomainError):
    pass
