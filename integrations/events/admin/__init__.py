"""Operations staff: events and their rewards, reward rules, hook endpoints."""

from integrations.events.admin import events, hooks  # noqa: F401 (registers the ModelAdmins)
