from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """The container of events/, webhooks/ (each its own app label) and the one outbound HTTP client."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from integrations import outbound

        checks.register(outbound.check_allowed_networks)
