import uuid
import zoneinfo

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from oauth2_provider.models import AbstractApplication


def validate_time_zone(value: str) -> None:
    """An IANA zone name that this Python and PostgreSQL both know (both read the IANA database)."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. Europe/Paris.", code="invalid")


class Organisation(models.Model):
    """The tenant. Every client-owned row points at one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA zone of reports' days and months. Changing it rebuilds the reports (reports/sql).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)

    class Meta:
        abstract = True


class ApiClient(AbstractApplication):
    """An OAuth2 client-credentials application belonging to exactly one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_clients")
    allowed_scopes = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(AbstractApplication.Meta):
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def is_usable(self, request) -> bool:
        """django-oauth-toolkit asks this before it issues a token: a disabled client or organisation gets none."""
        return self.is_active and self.organisation.is_active and super().is_usable(request)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class BusinessUnit(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="business_unit_code_per_org")]

    def __str__(self) -> str:
        return self.code


class CostCentre(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="cost_centre_code_per_org")]

    def __str__(self) -> str:
        return self.code


# The employee fields a record sets directly; the rest are relations (business unit, cost centre,
# manager) or bookkeeping.
EMPLOYEE_PLAIN_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "status",
    "role",
    "department",
    "country",
    "hire_date",
    "exit_date",
    "slack_user_id",
    "teams_user_id",
)


class Employee(TenantOwned):
    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee_id = models.CharField(max_length=64)
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    role = models.CharField(max_length=150, blank=True)
    department = models.CharField(max_length=150, blank=True)
    business_unit = models.ForeignKey(BusinessUnit, null=True, blank=True, on_delete=models.PROTECT)
    cost_centre = models.ForeignKey(CostCentre, null=True, blank=True, on_delete=models.PROTECT)
    country = models.CharField(max_length=2, blank=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    hire_date = models.DateField(null=True, blank=True)
    exit_date = models.DateField(null=True, blank=True)
    slack_user_id = models.CharField(max_length=64, blank=True)
    teams_user_id = models.CharField(max_length=128, blank=True)
    source = models.CharField(max_length=64, blank=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person's data was erased; an erased employee is never written again."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "employee_id"], name="employee_id_per_org"),
            models.CheckConstraint(condition=models.Q(status__in=["active", "inactive"]), name="employee_status_valid"),
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country__regex=r"^[A-Z]{2}$"), name="employee_country_alpha2"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="employee_org_status"),
            models.Index(fields=["organisation", "updated_at"], name="employee_org_updated"),
            models.Index(fields=["organisation", "created_at", "id"], name="employee_org_created"),
            models.Index(Upper("email"), "organisation", name="employee_org_email"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.first_name} {self.last_name}"
