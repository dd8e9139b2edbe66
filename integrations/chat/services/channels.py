"""Notification channels: create, change, delete.

Every save checks, before writing anything: the kind's fields (400 required / invalid), the templates'
placeholders (400 unknown_placeholder), the approvers (422 approver_not_found), the webhook URL against the
outbound guard (422 url_not_allowed), and that no other organisation holds the Slack workspace (409
team_id_taken; the SlackTeam row's primary key decides, so two organisations racing for one team_id cannot
both win). Write-only fields are sealed, bound to the organisation, and never answered.
"""

from django.db import connection, transaction
from django.utils import timezone

from integrations import outbound
from integrations.chat.commands import EVENT_TYPES, SLACK_SHAPES, ChannelCreate, ChannelRef, ChannelUpdate
from integrations.chat.errors import ChatError, ChatErrorCode
from integrations.chat.messages.templates import template_problems
from integrations.chat.models import Channel, SlackTeam
from integrations.chat.selectors import channel_get
from integrations.trail import record_changed, record_created, values_of
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, field_error
from plum.core.keys import seal
from users.models import Employee

K = Channel.Kind
SEALED = {
    "webhook_url": "webhook_url_sealed",
    "signing_secret": "signing_secret_sealed",
    "bot_token": "bot_token_sealed",
    "outgoing_secret": "outgoing_secret_sealed",
}
PLAIN = ("team_id", "slack_channel_id")
# kind -> (required fields, optional fields); slack_channel_id is required for slack_app when target is channel
KIND_FIELDS = {
    K.SLACK_WEBHOOK: (("webhook_url",), ("signing_secret", "team_id")),  # team_id routes clicks on its buttons
    K.SLACK_APP: (("bot_token", "signing_secret", "team_id"), ("slack_channel_id",)),
    K.TEAMS_WORKFLOW: (("webhook_url",), ("outgoing_secret",)),
}
EDITABLE = ("events", "target", "approvers", "templates", "active")
# What the audit trail keeps of a channel: never a write-only field's value, only the names of those sent.
AUDITED = ("kind", "events", "target", "approvers", "templates", "active", "disabled_reason", *PLAIN)


def check_url_allowed(url: str) -> None:
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise ChatError(
            ChatErrorCode.URL_NOT_ALLOWED, f"Plum may not call this URL: {exc}.", field="webhook_url"
        ) from None


def _stored(channel: Channel | None) -> dict[str, bool]:
    if channel is None:
        return {}
    present = {name: getattr(channel, column) is not None for name, column in SEALED.items()}
    return {**present, **{name: bool(getattr(channel, name)) for name in PLAIN}}


def check_kind(kind: str, target: str, given: dict, stored: dict) -> None:
    """422 invalid_channel with a field error for each field the kind needs and lacks, does not use, or whose
    Slack id has the wrong shape (the schema cannot state what each kind needs)."""
    required, optional = KIND_FIELDS[kind]
    if kind == K.SLACK_APP and target == Channel.Target.CHANNEL:
        required = (*required, "slack_channel_id")
    errors = []
    for name in (*SEALED, *PLAIN):
        if name in given and given[name] not in (None, "") and name not in required + optional:
            errors.append(field_error(name, CoreErrorCode.INVALID, f"Not used by {kind} channels."))
    for name in required:
        if not (given[name] not in (None, "") if name in given else stored.get(name, False)):
            errors.append(field_error(name, CoreErrorCode.REQUIRED, f"Required for {kind} channels."))
    if target == Channel.Target.EMPLOYEE and kind != K.SLACK_APP:
        errors.append(field_error("target", CoreErrorCode.INVALID, "Only slack_app channels write to employees."))
    for name, (shape, rule) in SLACK_SHAPES.items():
        if isinstance(given.get(name), str) and not shape.fullmatch(given[name]):
            errors.append(field_error(name, CoreErrorCode.INVALID, rule))
    if errors:
        raise ChatError(ChatErrorCode.INVALID_CHANNEL, "This channel is not complete.", errors=errors)


def check_templates(templates: dict) -> None:
    errors = []
    for event_type, template in templates.items():
        field = f"templates.{event_type}"
        if event_type not in EVENT_TYPES:
            errors.append(field_error(field, ChatErrorCode.UNKNOWN_EVENT_TYPE, f"Unknown event type {event_type!r}."))
            continue
        errors += [
            field_error(field, ChatErrorCode.UNKNOWN_PLACEHOLDER, p) for p in template_problems(event_type, template)
        ]
    if errors:
        raise ChatError(
            ChatErrorCode.INVALID_CHANNEL, "The templates use what their event does not have.", errors=errors
        )


def check_approvers(organisation_id, approvers: list[str]) -> None:
    known = set(
        Employee.objects.filter(organisation_id=organisation_id, employee_id__in=approvers).values_list(
            "employee_id", flat=True
        )
    )
    errors = [
        field_error(f"approvers[{i}]", ChatErrorCode.APPROVER_NOT_FOUND, f"No employee {a!r} in this organisation.")
        for i, a in enumerate(approvers)
        if a not in known
    ]
    if errors:
        raise ChatError(
            ChatErrorCode.APPROVER_NOT_FOUND, "Approvers must be employees of this organisation.", errors=errors
        )


def check_channel(organisation_id, kind: str, target: str, given: dict, channel: Channel | None = None) -> None:
    """Every check of a save but the workspace's owner (the claim, in the saving transaction, decides that)."""
    check_kind(kind, target, given, _stored(channel))
    if given.get("templates"):
        check_templates(given["templates"])
    if given.get("approvers"):
        check_approvers(organisation_id, given["approvers"])
    if given.get("webhook_url"):
        check_url_allowed(given["webhook_url"])


def _apply(channel: Channel, given: dict) -> list[str]:
    """Set what was given on the channel; answers the columns that changed."""
    changed = []
    for name, value in given.items():
        if name in SEALED:
            column = SEALED[name]
            setattr(channel, column, seal(value, channel.organisation_id) if value else None)
            changed.append(column)
        elif getattr(channel, name) != value:
            setattr(channel, name, value)
            changed.append(name)
    return changed


def channel_create(*, actor: Actor, command: ChannelCreate) -> Channel:
    given = {name: value for name, value in command.given().items() if value is not None}
    check_channel(actor.organisation_id, command.kind, command.target, given)
    with transaction.atomic():
        if command.team_id:
            claim_team(actor.organisation_id, command.team_id)
        channel = Channel(organisation_id=actor.organisation_id, kind=command.kind)
        _apply(channel, given)
        channel.save()
        record_created(actor, "notification_channel.created", channel.pk, _audited(channel, given))
    return channel


def _audited(channel: Channel, given: dict) -> dict:
    values = values_of(channel, AUDITED)
    written = sorted(name for name in given if name in SEALED)
    return values | ({"write_only_fields_set": written} if written else {})


def channel_update(*, actor: Actor, command: ChannelUpdate) -> Channel:
    """Changes what was sent; a secret sent replaces the stored one ("" removes an optional one); `active:
    true` clears disabled_reason. A PATCH that changes nothing writes nothing."""
    given = command.changes()
    current = channel_get(actor=actor, channel_id=command.channel_id)  # 404 before any resolving
    check_channel(actor.organisation_id, current.kind, given.get("target") or current.target, given, current)
    with transaction.atomic():
        channel = channel_get(actor=actor, channel_id=command.channel_id, for_update=True)
        old_team = channel.team_id
        if given.get("team_id") and given["team_id"] != old_team:
            claim_team(actor.organisation_id, given["team_id"])
        if given.get("active") is True and channel.disabled_reason:
            given["disabled_reason"] = ""
        before = values_of(channel, AUDITED)
        changed = _apply(channel, given)
        if changed:
            channel.save(update_fields=[*changed, "updated_at"])
            after = _audited(channel, given)
            record_changed(actor, "notification_channel.updated", channel.pk, before, after)
        if old_team and old_team != channel.team_id:
            release_team(actor.organisation_id, old_team)
    return channel


def channel_delete(*, actor: Actor, command: ChannelRef) -> None:
    """The channel and its notifications' history go; its workspace is released if no other channel of
    the organisation names it."""
    with transaction.atomic():
        channel = channel_get(actor=actor, channel_id=command.channel_id, for_update=True)
        team_id = channel.team_id
        record_changed(actor, "notification_channel.deleted", channel.pk, values_of(channel, AUDITED), {})
        channel.delete()
        if team_id:
            release_team(actor.organisation_id, team_id)


CLAIM_TEAM_SQL = """
INSERT INTO integrations_chat_slackteam (team_id, organisation_id, created_at) VALUES (%s, %s, %s)
ON CONFLICT (team_id) DO NOTHING
"""


def claim_team(organisation_id, team_id: str) -> None:
    """Hold the workspace for the organisation until the transaction ends; 409 if another holds it. The
    insert waits for a racing one's commit; the row lock keeps a release from running meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_TEAM_SQL, [team_id, organisation_id, timezone.now()])
    owner = SlackTeam.objects.select_for_update().filter(team_id=team_id).values_list("organisation_id", flat=True)
    if owner.first() != organisation_id:
        raise ChatError(
            ChatErrorCode.TEAM_ID_TAKEN, "This Slack workspace is connected to another organisation.", field="team_id"
        )


def release_team(organisation_id, team_id: str) -> None:
    mine = SlackTeam.objects.select_for_update().filter(team_id=team_id, organisation_id=organisation_id)
    if (
        mine.first() is not None
        and not Channel.objects.filter(organisation_id=organisation_id, team_id=team_id).exists()
    ):
        mine.delete()
