"""Campaigns: one voucher for each of many recipients, paid by a programme's budget, issued by Celery."""

from django.db import models

from plum.core.ids import uuid7
from plum.core.jobs.models import Job
from points.models import Programme
from users.models import Employee, Organisation, TenantOwned
from vouchers.models.catalogue import Product


class Campaign(TenantOwned, Job):
    """A job (status, total, processed, failures, timestamps) whose items are its recipients."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_index=False)
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    campaign_id = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    denomination = models.PositiveIntegerField()
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the product's validity")
    recipient_filter = models.JSONField(null=True, blank=True, help_text="The filter, when recipients came from one")
    issued = models.PositiveIntegerField(default=0)
    out_of_stock = models.PositiveIntegerField(default=0)
    employee_inactive = models.PositiveIntegerField(default=0)
    budget_exhausted = models.PositiveIntegerField(default=0)
    points_drawn = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "campaign_id"], name="campaign_id_per_org"),
            models.CheckConstraint(condition=models.Q(processed__lte=models.F("total")), name="campaign_processed_max"),
        ]
        indexes = [
            models.Index(fields=["organisation", "created_at", "id"], name="campaign_org_created"),
            Job.unfinished_index("campaign_unfinished"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} ({self.status})"


class CampaignRecipient(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        ISSUED = "issued"
        OUT_OF_STOCK = "out_of_stock"
        EMPLOYEE_INACTIVE = "employee_inactive"
        BUDGET_EXHAUSTED = "budget_exhausted"

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="recipients", db_index=False)
    index = models.PositiveIntegerField()
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "employee"], name="campaign_recipient_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "index"], condition=models.Q(status="queued"), name="recipient_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.index} ({self.status})"
