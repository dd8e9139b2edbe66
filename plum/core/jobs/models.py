"""The abstract job: a row that Celery works through chunk by chunk (points batches, voucher campaigns,
HRMS runs). A kind adds its own counters beside `processed`."""

from django.db import models
from django.utils import timezone


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    UNFINISHED = ("queued", "processing")  # plain text: migrations and SQL read it as written

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField()
    processed = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="Chunks that failed and were rolled back, in a row.")
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(
        default=timezone.now, help_text="Last progress or enqueue; the sweeper re-sends jobs idle too long."
    )

    class Meta:
        abstract = True

    @classmethod
    def unfinished_index(cls, name: str) -> models.Index:
        """The sweeper's index: unfinished jobs by their last progress. Put it in the kind's Meta.indexes."""
        return models.Index(fields=["progress_at"], condition=models.Q(status__in=list(cls.UNFINISHED)), name=name)

    @property
    def percent(self) -> int:
        return 100 * self.processed // self.total if self.total else 100
