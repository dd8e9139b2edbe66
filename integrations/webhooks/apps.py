from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions, the outbox relay and the deliveries it schedules."""

    name = "integrations.webhooks"
    label = "integrations_webhooks"
    verbose_name = "Outbound webhooks"
    default_auto_field = "django.db.models.BigAutoField"
