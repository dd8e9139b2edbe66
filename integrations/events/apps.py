from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events from other systems, the reward rules that turn them into points, inbound hook endpoints."""

    name = "integrations.events"
    label = "integrations_events"
    verbose_name = "Events and reward rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations.events import personal_data

        personal_data.register()
