"""HRMS connections and their runs.

A run is a job of plum.core.jobs: it fetches the vendor's pages one per chunk into RunPage rows, then
applies them all at once through the users sync service. Staged pages hold personal data: they are
deleted when the run ends, whatever the outcome."""

import uuid

from django.db import models

from plum.core.ids import uuid7
from plum.core.jobs.models import Job
from users.models import TenantOwned


class Connection(TenantOwned):
    """One HRMS an organisation pulls its employees from. Credentials are sealed (plum.core.keys), bound to
    the organisation, and never shown by any door."""

    class Provider(models.TextChoices):
        WORKDAY = "workday", "Workday"
        SUCCESSFACTORS = "successfactors", "SAP SuccessFactors"
        DARWINBOX = "darwinbox", "Darwinbox"

    class Mode(models.TextChoices):
        FULL = "full"
        INCREMENTAL = "incremental"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(max_length=32, choices=Provider.choices)
    base_url = models.URLField(max_length=2000, help_text="The vendor's API host; Plum appends the vendor's paths.")
    settings = models.JSONField(default=dict, blank=True)
    credentials_sealed = models.BinaryField(help_text="The credentials as JSON, sealed.")
    schedule = models.CharField(max_length=100, blank=True, help_text="Cron (5 fields, UTC); blank: on demand only.")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.FULL)
    field_map = models.JSONField(default=dict, blank=True, help_text="Vendor dotted path -> employee field.")
    max_deactivation_ratio = models.FloatField(
        default=0.1,
        help_text="A full run deactivating more than this share of active employees waits for confirmation.",
    )
    active = models.BooleanField(default=True)
    watermark = models.CharField(max_length=100, blank=True, help_text="Stored by the last completed run.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_deactivation_ratio__gte=0, max_deactivation_ratio__lte=1),
                name="hrms_connection_ratio_0_1",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "created_at", "id"], name="hrms_connection_org_created")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.base_url}"


class Run(TenantOwned, Job):
    """One pull of a connection. Job's status plus needs_confirmation (a full run that would deactivate too
    many, held until someone confirms); the runner only works on queued and processing runs."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        NEEDS_CONFIRMATION = "needs_confirmation"
        COMPLETED = "completed"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        API = "api"
        ADMIN = "admin"
        SCHEDULE = "schedule"

    class Phase(models.TextChoices):
        FETCHING = "fetching"
        FETCHED = "fetched"
        APPLIED = "applied"

    IN_PROGRESS = ("queued", "processing", "needs_confirmation")  # one at a time per connection
    MAX_ERRORS = 1_000  # errors kept on the run; errors_total counts them all

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Records fetched (the runner's progress counts them).")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    mode = models.CharField(max_length=16, choices=Connection.Mode.choices)
    since = models.CharField(max_length=100, blank=True, help_text="The connection's watermark when the run began.")
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.FETCHING)
    cursor = models.JSONField(null=True, blank=True, help_text="Where the next fetch starts.")
    pages = models.PositiveIntegerField(default=0, help_text="Pages fetched so far.")
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors, per record.")
    errors_total = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True, help_text="Why the run failed: what to fix.")
    watermark = models.CharField(max_length=100, blank=True, help_text="The highest modification time fetched.")
    active_before = models.PositiveIntegerField(null=True, blank=True)
    would_deactivate = models.PositiveIntegerField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=200, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(status__in=["queued", "processing", "needs_confirmation"]),
                name="hrms_one_run_at_a_time",
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "-created_at", "-id"], name="hrms_run_by_connection"),
            Job.unfinished_index("hrms_run_unfinished"),
        ]

    def __str__(self) -> str:
        return f"{self.connection.get_provider_display()} run {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class RunPage(models.Model):
    """One fetched page, staged until the run applies them all; deleted when the run ends."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="staged_pages")
    number = models.PositiveIntegerField()
    records = models.JSONField(help_text="Canonical employee records.")
    errors = models.JSONField(default=list, help_text="The vendor module's per-record errors.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="hrms_run_page_once")]

    def __str__(self) -> str:
        return f"page {self.number}"
