"""Events from other systems, reward rules, the rewards rules produced, and inbound hook endpoints."""

import uuid

from django.db import models

from plum.core.models import RotatingSecret
from users.models import Employee, TenantOwned


class Rule(TenantOwned):
    """Turns events of one type into points requests. Conditions and points are data, read by the
    interpreter (never evaluated as code); DELETE deactivates, so history keeps its rule."""

    class Per(models.TextChoices):
        DAY = "day"
        MONTH = "month"
        YEAR = "year"
        EVER = "ever"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    event_type = models.CharField(max_length=64)
    conditions = models.JSONField(default=list, blank=True)
    points = models.JSONField(help_text="A whole number, or {from, multiplier, min, max}.")
    programme = models.ForeignKey("points.Programme", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    limit_count = models.PositiveIntegerField(null=True, blank=True)
    limit_per = models.CharField(max_length=8, choices=Per.choices, blank=True)
    active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="rule_unique_name"),
            models.CheckConstraint(
                condition=models.Q(limit_count__isnull=True, limit_per="")
                | models.Q(limit_count__gte=1, limit_per__in=["day", "month", "year", "ever"]),
                name="rule_limit_whole",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "event_type", "active"], name="rule_lookup")]

    def __str__(self) -> str:
        return self.name


class Event(TenantOwned):
    """Something that happened to an employee elsewhere; idempotent forever on the sender's event_id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.CharField(max_length=128)
    type = models.CharField(max_length=64)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the body; another body is a conflict.")
    source = models.CharField(max_length=64, blank=True, help_text="api, hook:<endpoint>, or plum (anniversaries).")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "event_id"], name="event_unique_event_id")]
        indexes = [
            models.Index(fields=["organisation", "received_at", "id"], name="event_received"),
            models.Index(fields=["organisation", "type", "received_at"], name="event_type_received"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Reward(models.Model):
    """What one rule made of one event: a points request, or the refusal's code."""

    class Status(models.TextChoices):
        CREDITED = "credited"
        PENDING_APPROVAL = "pending_approval"
        REFUSED = "refused"

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rewards")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="rewards")
    request_id = models.CharField(max_length=200)
    points_request = models.ForeignKey("points.PointsRequest", null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    points = models.IntegerField()
    balance_after = models.BigIntegerField(null=True)
    code = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "rule"], name="reward_once_per_rule")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class RuleUsage(models.Model):
    """How many rewards a rule gave an employee in one period: the row a limit is counted on, under a lock."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10, help_text="YYYY-MM-DD, YYYY-MM, YYYY or 'ever'.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "employee", "period"], name="rule_usage_once")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.period}: {self.count}"


class HookEndpoint(TenantOwned, RotatingSecret):
    """An address other systems post signed events to (Standard Webhooks). The secret is sealed
    (plum.core.keys); after a rotation the previous one keeps working until previous_secret_expires_at."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    endpoint_key = models.CharField(max_length=64, unique=True)
    mapping = models.JSONField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class HookReceipt(models.Model):
    """One accepted webhook-id of an endpoint and the answer it got, replayed when the sender repeats it."""

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(HookEndpoint, on_delete=models.CASCADE, related_name="receipts")
    webhook_id = models.CharField(max_length=255)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "webhook_id"], name="hook_receipt_once")]

    def __str__(self) -> str:
        return self.webhook_id
