from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a create sent with an Idempotency-Key, scoped to the API client."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    client_id = models.BigIntegerField()  # users.ApiClient pk; plum.api sits below the users app
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True)
    # JSON text, not jsonb: jsonb reorders keys, and a replay is the first answer as it was written
    response_body = models.TextField(null=True)
    response_content_type = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "key"], name="idempotency_key_per_client")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"
