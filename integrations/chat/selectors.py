"""Channels and notifications as every door shows them (never a secret), scoped to the caller's organisation."""

import uuid

from django.db.models import QuerySet

from integrations.chat.errors import ChatError, ChatErrorCode
from integrations.chat.models import Channel, Notification, SlackTeam
from plum.core.actor import Actor
from plum.core.timefmt import iso


def channel_list(*, actor: Actor) -> QuerySet[Channel]:
    return Channel.objects.filter(organisation_id=actor.organisation_id)


def channel_get(*, actor: Actor, channel_id, for_update: bool = False) -> Channel:
    """The organisation's channel; another organisation's, or an id that is not a UUID, is not found.
    `for_update` locks the row (inside the caller's transaction)."""
    channels = channel_list(actor=actor)
    if for_update:
        channels = channels.select_for_update()
    channel = channels.filter(pk=_uuid_or_none(channel_id)).first()
    if channel is None:
        raise ChatError(ChatErrorCode.CHANNEL_NOT_FOUND, f"No notification channel {str(channel_id)!r}.")
    return channel


def channel_document(c: Channel) -> dict:
    """The one representation of a channel: write-only fields (webhook_url, signing_secret, bot_token,
    outgoing_secret) are never in it."""
    return {
        "id": str(c.pk),
        "kind": c.kind,
        "events": list(c.events),
        "target": c.target,
        "approvers": list(c.approvers),
        "templates": dict(c.templates),
        "active": c.active,
        "disabled_reason": c.disabled_reason,
        "team_id": c.team_id,
        "slack_channel_id": c.slack_channel_id,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def notification_document(n: Notification) -> dict:
    return {
        "id": str(n.pk),
        "channel_id": str(n.channel_id),
        "event_id": str(n.event_id),
        "event_type": n.event_type,
        "state": n.state,
        "attempts": n.attempts,
        "last_status_code": n.last_status_code,
        "last_error": n.last_error,
        "next_attempt_at": iso(n.next_attempt_at),
        "created_at": iso(n.created_at),
        "sent_at": iso(n.sent_at),
    }


def notification_of(*, actor: Actor, channel_id, notification_id) -> Notification:
    return Notification.objects.get(organisation_id=actor.organisation_id, channel_id=channel_id, pk=notification_id)


def slack_team_owner(team_id: str):
    """The organisation id a Slack workspace belongs to, or None."""
    return SlackTeam.objects.filter(team_id=team_id).values_list("organisation_id", flat=True).first()


def channel_admin_list() -> QuerySet[Channel]:
    """Every organisation's channels: operations staff act across organisations."""
    return Channel.objects.select_related("organisation")


def notification_admin_list() -> QuerySet[Notification]:
    return Notification.objects.select_related("channel__organisation")


def _uuid_or_none(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def notifications_about_employee(*, actor: Actor, employee_id: str) -> QuerySet[Notification]:
    """Notifications whose event document names the employee (the personal data export)."""
    return Notification.objects.filter(organisation_id=actor.organisation_id, data__employee_id=employee_id)
