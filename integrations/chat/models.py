"""Notification channels (a Slack incoming webhook, a Slack app, a Teams workflow) and one notification per
channel and outbox event, with its own schedule in the database as webhook deliveries have."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models

from users.models import TenantOwned


class Channel(TenantOwned):
    """Where messages go. Secrets (webhook URLs, bot token, signing and outgoing secrets) are sealed with
    plum.core.keys.seal, bound to the organisation, and never answered."""

    class Kind(models.TextChoices):
        SLACK_WEBHOOK = "slack_webhook"
        SLACK_APP = "slack_app"
        TEAMS_WORKFLOW = "teams_workflow"

    class Target(models.TextChoices):
        CHANNEL = "channel"  # the channel or workflow the kind names
        EMPLOYEE = "employee"  # a direct message to the employee the event is about (slack_app only)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    events = ArrayField(models.CharField(max_length=64), help_text="Event types announced here.")
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.CHANNEL)
    approvers = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Employee ids who may approve."
    )
    templates = models.JSONField(default=dict, blank=True, help_text="Message text per event type.")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    webhook_url_sealed = models.BinaryField(null=True, blank=True)  # slack_webhook, teams_workflow
    signing_secret_sealed = models.BinaryField(null=True, blank=True)  # slack_webhook (optional), slack_app
    bot_token_sealed = models.BinaryField(null=True, blank=True)  # slack_app
    outgoing_secret_sealed = models.BinaryField(null=True, blank=True)  # teams_workflow (optional)
    team_id = models.CharField(max_length=32, blank=True, help_text="The Slack workspace (slack_app).")
    slack_channel_id = models.CharField(max_length=32, blank=True)
    teams_message_card = models.BooleanField(
        default=False, help_text="The workflow refused Adaptive Cards: send the legacy MessageCard (teams_workflow)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["team_id"], condition=~models.Q(team_id=""), name="chat_channel_team")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class SlackTeam(models.Model):
    """Which organisation a Slack workspace (team_id) belongs to: commands and clicks are routed by team_id, so
    the primary key lets one organisation hold it (settled by the database, not by a check before insert).
    Claimed when a channel names it, released when the organisation's last channel naming it goes."""

    team_id = models.CharField(max_length=32, primary_key=True)
    organisation = models.ForeignKey("users.Organisation", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.team_id


class Notification(models.Model):
    """One outbox event for one channel: at most one message. Its schedule lives here (next_attempt_at)."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"  # committed before the call: a crash mid-call is never sent again blindly
        SENT = "sent"
        FAILED = "failed"  # the last attempt failed; another is scheduled
        DEAD = "dead"  # the schedule is spent, or the vendor refused it for good
        SKIPPED = "skipped"  # nobody to send it to (an employee Slack does not know)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation_id = models.UUIDField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    data = models.JSONField(help_text="The event's document, as the outbox holds it.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message_ref = models.JSONField(default=dict, blank=True, help_text="Slack channel and ts, to update it.")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "event_id"], name="notification_once")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "failed"]),
                name="notification_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.channel_id}"
