"""Outbound webhooks: subscriptions, and a delivery per subscription and outbox event with its attempts."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models

from plum.core.models import RotatingSecret
from users.models import TenantOwned


class Subscription(TenantOwned, RotatingSecret):
    """A receiver of events. The signing secret is sealed (plum.core.keys); after a rotation deliveries
    are signed with both until previous_secret_expires_at (Standard Webhooks allows several signatures)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=64), help_text="Event types delivered to it.")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure since the last success.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one subscription. Its schedule lives here (next_attempt_at), not in Celery: the
    dispatcher takes due rows, so a lost message or a killed worker only delays it."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # the last attempt failed; another is scheduled
        DEAD = "dead"  # the schedule is spent

    DUE = ("pending", "failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation_id = models.UUIDField()
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(help_text="The outbox event's id: webhook-id and the body's id, stable across retries.")
    event_type = models.CharField(max_length=64)
    body = models.TextField(help_text="The JSON sent, kept so the outbox row may be purged.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_once")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(state__in=["pending", "failed"]), name="delivery_due"
            ),
            models.Index(fields=["subscription", "created_at"], name="delivery_by_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: what the receiver answered, for staff and for the integrator."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    answer_excerpt = models.CharField(max_length=1000, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_once")]

    def __str__(self) -> str:
        return f"attempt {self.number}"
