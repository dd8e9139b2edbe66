"""Points batches and uploads.

A batch is stored with all its items in one transaction; the job runner (plum.core.jobs) then turns items
into points requests chunk by chunk. Each item carries its own outcome, written in the same transaction as the credit it
describes, so an item is done exactly when its outcome is set (see points/services/batches.py).
"""

from django.db import models

from plum.core.ids import uuid7
from plum.core.jobs.models import Job
from points.models.requests import PointsRequest
from users.models import TenantOwned

__all__ = ["PointsBatch", "PointsBatchItem", "PointsUpload"]


class PointsBatch(TenantOwned, Job):
    """A job (status, total, processed, failures, timestamps) whose items are points requests."""

    class Source(models.TextChoices):
        API = "api"
        UPLOAD = "upload"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    batch_id = models.CharField(max_length=128, help_text="The client's own reference; idempotent forever.")
    fingerprint = models.CharField(max_length=64, help_text="Hash of the requests, to tell replays from conflicts.")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    credited = models.PositiveIntegerField(default=0)
    pending_approval = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    replayed = models.PositiveIntegerField(default=0, help_text="Items whose identical request_id was already done.")

    class Meta:
        verbose_name_plural = "points batches"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "batch_id"], name="points_batch_id_per_org"),
            models.CheckConstraint(
                condition=models.Q(
                    processed=models.F("credited")
                    + models.F("pending_approval")
                    + models.F("rejected")
                    + models.F("replayed"),
                    processed__lte=models.F("total"),
                ),
                name="points_batch_counts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "created_at", "id"], name="points_batch_org_created"),
            Job.unfinished_index("points_batch_unfinished"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.status})"


class PointsBatchItem(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        CREDITED = "credited"
        PENDING_APPROVAL = "pending_approval"
        REJECTED = "rejected"
        REPLAYED = "replayed"

    id = models.BigAutoField(primary_key=True)  # internal only: clients address items by batch and index
    batch = models.ForeignKey(PointsBatch, on_delete=models.PROTECT, related_name="items", db_index=False)
    index = models.PositiveIntegerField(help_text="Position in the batch's list of requests, from 0.")
    source_row = models.PositiveIntegerField(null=True, blank=True, help_text="Row of the uploaded file, if any.")
    request_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(help_text="The request as sent.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=64, blank=True)
    error_field = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # No database constraint: the outcome is written in the transaction that creates the request, and
    # a per-row foreign-key check would cost a lookup for each of up to 100,000 items.
    points_request = models.ForeignKey(
        PointsRequest, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="points_batch_item_index")]
        indexes = [
            # Workers claim the next queued items of a batch in index order.
            models.Index(
                fields=["batch", "index"], condition=models.Q(status="queued"), name="points_batch_item_queued"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.request_id} ({self.status})"


class PointsUpload(TenantOwned):
    """A validated CSV or XLSX file of points requests; nothing is credited until it is confirmed."""

    class Status(models.TextChoices):
        VALIDATED = "validated"
        CONFIRMED = "confirmed"

    class FileType(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    filename = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=8, choices=FileType.choices)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATED)
    rows = models.PositiveIntegerField()
    valid = models.PositiveIntegerField()
    invalid = models.PositiveIntegerField()
    errors = models.JSONField(default=list, help_text="[{row, field, code, message}], the first 1,000.")
    requests = models.JSONField(default=list, help_text="The valid rows as points requests, each with its row.")
    batch = models.OneToOneField(PointsBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="upload")
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "created_at", "id"], name="points_upload_org_created")]

    def __str__(self) -> str:
        return f"{self.filename or self.id} ({self.status})"
