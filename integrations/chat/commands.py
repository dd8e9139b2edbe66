"""Typed input of the channel writes, for every door (REST, admin).

Shapes are checked here; what a kind needs (its required fields, target employee only for slack_app), the
templates' placeholders, the approvers, the webhook URL's guard and the workspace's owner are the
service's checks (services/channels.py), which see the stored channel on a PATCH."""

import base64
import binascii
import re
from enum import StrEnum
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, Field, StrictBool, StrictStr, WithJsonSchema

from integrations.chat.errors import ChatErrorCode
from integrations.chat.messages.templates import TEMPLATE_MAX_LENGTH
from integrations.chat.models import Channel
from integrations.webhooks.commands import EVENT_TYPES
from plum.core.commands import Command, rule_error, text
from plum.core.errors import CoreErrorCode

# The outbound event types (the same list as webhooks', so the schemas share one enum; webhook.test never reaches
# the outbox, so a channel never announces it).
URL_MAX_LENGTH = 2000
URL_RULE = f"An absolute https (or http) URL of at most {URL_MAX_LENGTH} characters."
SECRETS = ("webhook_url", "signing_secret", "bot_token", "outgoing_secret")  # write-only, sealed


def _absolute_url(value: str) -> str:
    """Shape only; whether Plum may call it is the service's check (url_not_allowed)."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise rule_error(CoreErrorCode.INVALID, URL_RULE) from None
    if url.scheme not in ("http", "https") or not url.host or any(c.isspace() for c in value):
        raise rule_error(CoreErrorCode.INVALID, URL_RULE)
    return value


def _known_event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise rule_error(ChatErrorCode.UNKNOWN_EVENT_TYPE, f"Unknown event type {value!r}.")
    return value


# Slack's own id shapes, checked by the channel service (422): the schema names them by `format` only.
SLACK_SHAPES = {
    "bot_token": (
        re.compile(r"xoxb-[A-Za-z0-9-]+"),
        "A Slack bot token: xoxb- followed by letters, digits and dashes.",
    ),
    "team_id": (re.compile(r"[TE][A-Z0-9]{2,31}"), "A Slack workspace id: T followed by capital letters and digits."),
    "slack_channel_id": (
        re.compile(r"|[CGD][A-Z0-9]{2,31}"),
        "A Slack channel id: C followed by capital letters and digits.",
    ),
}


def _base64(value: str) -> str:
    try:
        if value and not base64.b64decode(value, validate=True):
            raise ValueError
    except (binascii.Error, ValueError):
        raise rule_error(CoreErrorCode.INVALID, "The security token as Teams shows it (base64).") from None
    return value


KindName = StrEnum("ChatChannelKind", {k: k for k in Channel.Kind.values})
KindName.__doc__ = "slack_webhook, slack_app or teams_workflow"
TargetName = StrEnum("ChatChannelTarget", {t: t for t in Channel.Target.values})
TargetName.__doc__ = "channel, or employee (slack_app only: a direct message to the employee)"
Kind = Annotated[KindName, AfterValidator(lambda kind: kind.value)]
Target = Annotated[TargetName, AfterValidator(lambda target: target.value)]
WebhookUrl = Annotated[
    text(URL_MAX_LENGTH, strip=True, min_length=1),
    AfterValidator(_absolute_url),
    Field(
        description="Write-only. slack_webhook: the incoming webhook URL; teams_workflow: the workflow's HTTP "
        "POST URL. It must not resolve to a loopback, private, link-local or metadata address (422 url_not_allowed)",
        json_schema_extra={"format": "uri", "writeOnly": True},
    ),
]
EventTypes = Annotated[
    list[
        Annotated[
            text(64), AfterValidator(_known_event_type), WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})
        ]
    ],
    Field(min_length=1, description="One or more event types announced here; a repeated one counts once"),
    AfterValidator(lambda values: list(dict.fromkeys(values))),
]
Approvers = Annotated[
    list[text(64, strip=True, min_length=1)],
    Field(max_length=100, description="Employee ids who may click Approve or Reject; none: the recipient's manager"),
    AfterValidator(lambda values: list(dict.fromkeys(values))),
]
Templates = Annotated[
    dict[str, text(TEMPLATE_MAX_LENGTH, min_length=1)],
    Field(
        max_length=len(EVENT_TYPES),
        description="Message text per event type, with {placeholders} from that type's list (see docs); a type "
        "left out uses the default text",
    ),
]
BotToken = Annotated[
    text(255, strip=True),
    Field(
        description="Write-only. slack_app: the bot token (xoxb-…)",
        json_schema_extra={"writeOnly": True, "format": "slack-bot-token"},
    ),
]
SigningSecret = Annotated[
    text(128, strip=True, pattern=r"^[A-Za-z0-9]*$"),
    Field(
        description="Write-only. The Slack app's signing secret (verifies commands and button clicks); "
        "required for slack_app, optional for slack_webhook; empty removes it",
        json_schema_extra={"writeOnly": True},
    ),
]
OutgoingSecret = Annotated[
    text(256, strip=True),
    AfterValidator(_base64),
    Field(
        description="Write-only. teams_workflow, optional: the outgoing webhook's security token (base64, as Teams "
        "shows it); empty removes it",
        json_schema_extra={"writeOnly": True, "format": "byte"},
    ),
]
TeamId = Annotated[
    text(32, strip=True),
    Field(
        description="slack_app: the Slack workspace (team) id, T…; one organisation's only",
        json_schema_extra={"format": "slack-team-id"},
    ),
]
SlackChannelId = Annotated[
    text(32, strip=True),
    Field(
        description="slack_app with target channel: the Slack channel id, C… (empty: none)",
        json_schema_extra={"format": "slack-channel-id"},
    ),
]

ERRORS = {
    "webhook_url": URL_RULE,
    "signing_secret": "The Slack app's signing secret: letters and digits.",
    ("events", "too_short"): "At least one event type.",
    ("templates", "dict_type"): "Must be an object of event type to text.",
    "kind": "Must be 'slack_webhook', 'slack_app' or 'teams_workflow'.",
    "target": "Must be 'channel' or 'employee'.",
}


class ChannelCreate(Command):
    """A new channel; its write-only fields are stored sealed and never answered."""

    kind: Kind
    events: EventTypes
    target: Target = "channel"
    approvers: Approvers = []
    templates: Templates = {}
    active: StrictBool = True
    webhook_url: WebhookUrl = None
    signing_secret: SigningSecret = None
    bot_token: BotToken = None
    outgoing_secret: OutgoingSecret = None
    team_id: TeamId = None
    slack_channel_id: SlackChannelId = None

    error_messages = ERRORS


class ChannelChanges(Command):
    """Omitted fields keep their values; a secret sent replaces the stored one. The kind cannot change."""

    events: EventTypes = None
    target: Target = None
    approvers: Approvers = None
    templates: Templates = None
    active: StrictBool = None
    webhook_url: WebhookUrl = None
    signing_secret: SigningSecret = None
    bot_token: BotToken = None
    outgoing_secret: OutgoingSecret = None
    team_id: TeamId = None
    slack_channel_id: SlackChannelId = None

    error_messages = ERRORS


class ChannelRef(Command):
    """One channel, by its id as given (one that is not a UUID is not found: 404)."""

    channel_id: StrictStr


class ChannelUpdate(ChannelChanges, ChannelRef):
    @classmethod
    def of(cls, channel_id: str, data: Any) -> "ChannelUpdate":
        """The changes a body asks of the channel its path names."""
        changes = ChannelChanges.parse(data)
        return cls.model_validate({"channel_id": channel_id, **changes.given()})

    def changes(self) -> dict:
        return {name: value for name, value in self.given().items() if name != "channel_id"}


class ChannelTestOptions(Command):
    """The body of "send a test message": a channel that writes to employees needs the employee to write to."""

    employee_id: Annotated[
        text(64, strip=True, min_length=1), Field(description="target employee: the employee the test goes to")
    ] = None


class ChannelTest(ChannelTestOptions, ChannelRef):
    """A test message to one channel, now."""
