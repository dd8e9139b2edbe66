from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "points"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from points import personal_data

        personal_data.register()
