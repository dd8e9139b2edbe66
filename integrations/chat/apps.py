from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Slack and Microsoft Teams: notification channels, their messages, slash commands and approval buttons."""

    name = "integrations.chat"
    label = "integrations_chat"
    verbose_name = "Slack and Teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations.chat import personal_data

        personal_data.register()
