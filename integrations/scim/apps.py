from django.apps import AppConfig


class ScimConfig(AppConfig):
    """SCIM 2.0 (RFC 7643/7644) over the users services: Users onto employees, Groups onto business units."""

    name = "integrations.scim"
    label = "integrations_scim"
    verbose_name = "SCIM provisioning"
    default_auto_field = "django.db.models.BigAutoField"
