import uuid

from django.db import models

from users.models import TenantOwned


class Programme(TenantOwned):
    """A points programme with its own budget. The budget is held in several shard accounts (ledger.py)."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    approval_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests of at least this many points wait for approval; empty: never."
    )
    max_points_per_request = models.PositiveIntegerField(default=100_000)
    points_validity_days = models.PositiveIntegerField(default=365)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    budget_shards = models.PositiveSmallIntegerField(default=8)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="programme_code_per_org"),
            models.CheckConstraint(condition=models.Q(max_points_per_request__gte=1), name="programme_max_points_min"),
            models.CheckConstraint(condition=models.Q(points_validity_days__gte=1), name="programme_validity_min"),
            models.CheckConstraint(
                condition=models.Q(budget_shards__gte=1, budget_shards__lte=64), name="programme_shards_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"
