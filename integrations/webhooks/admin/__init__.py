"""Operations staff: webhook subscriptions, deliveries and their attempts."""

from integrations.webhooks.admin import deliveries, subscriptions  # noqa: F401 (registers the ModelAdmins)
