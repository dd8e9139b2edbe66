import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it describes; delivered after commit."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation_id = models.UUIDField()  # indexed by outbox_org_type, which starts with it
    event_type = models.CharField(max_length=64)
    aggregate_type = models.CharField(max_length=64)
    aggregate_id = models.CharField(max_length=128)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="outbox_unpublished", condition=models.Q(published_at__isnull=True)),
            models.Index(fields=["organisation_id", "event_type", "created_at"], name="outbox_org_type"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_id}"


class RotatingSecret(models.Model):
    """A signing secret kept sealed (plum.core.keys) and, after a rotation, the previous one until it expires.
    plum.core.keys.rotate_secret and secrets_in_force read and write these three fields."""

    secret_sealed = models.BinaryField()
    previous_secret_sealed = models.BinaryField(null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One entry per write, from every door, in the write's transaction (plum.core.audit.entries).
    Append-only: the database refuses UPDATE and DELETE except through plum_audit_erase and plum_audit_purge."""

    class ActorKind(models.TextChoices):
        CLIENT = "client"
        STAFF = "staff"
        SYSTEM = "system"

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()  # indexed by audit_org_at and audit_org_object, which start with it
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=128, null=True, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    changes = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["organisation_id", "-at", "-id"], name="audit_org_at"),
            models.Index(fields=["organisation_id", "object_type", "object_id"], name="audit_org_object"),
            models.Index(fields=["at"], name="audit_at"),  # the purge's range
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_id}"
