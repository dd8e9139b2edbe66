from django.apps import AppConfig


class HrmsConfig(AppConfig):
    """HRMS pull connectors (Workday, SAP SuccessFactors, Darwinbox): connections, runs, one module per vendor."""

    name = "integrations.hrms"
    label = "integrations_hrms"
    verbose_name = "HRMS connections"
    default_auto_field = "django.db.models.BigAutoField"
