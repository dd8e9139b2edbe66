"""Operations staff: Slack and Teams channels, and their notifications (read-only)."""

from integrations.chat.admin import channels, notifications  # noqa: F401 (registers the ModelAdmins)
