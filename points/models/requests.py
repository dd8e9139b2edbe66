import uuid

from django.db import models

from points.models.ledger import LedgerTransaction, Lot
from points.models.programmes import Programme
from users.models import Employee, Organisation, TenantOwned


class PointsRequest(TenantOwned):
    """An award asked for by an originating system, idempotent on its `request_id` forever."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval"
        CREDITED = "credited"
        REJECTED = "rejected"
        REVERSED = "reversed"

    # Foreign keys without an index of their own where a composite index below (or the unique request_id
    # per organisation) starts with the column, or where nothing looks rows up by it (ledger transactions
    # are append-only, so PROTECT never has to search): each index costs every insert of a batch.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_index=False)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the request body, to tell replays from conflicts.")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", db_index=False)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField()
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    lot = models.OneToOneField(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="points_request")
    balance_after = models.BigIntegerField(null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    reversal_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.CharField(max_length=500, blank=True)
    batch_id = models.UUIDField(null=True, blank=True, help_text="The points batch it came in, if any.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "request_id"], name="points_request_id_per_org"),
            models.CheckConstraint(condition=models.Q(points__gte=1), name="points_request_points_positive"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["credited", "reversed"]) | models.Q(transaction__isnull=False),
                name="credited_request_has_transaction",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "created_at", "id"], name="points_request_org_created"),
            models.Index(fields=["organisation", "status"], name="points_request_org_status"),
            models.Index(fields=["employee", "created_at"], name="points_request_employee"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} ({self.status})"
