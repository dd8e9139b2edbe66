"""What Slack and Teams send Plum: slash commands, button clicks and Teams outgoing webhooks, each verified
with its organisation's secret before anything is read (docs/slack-teams-commands.md)."""

from integrations.chat.services.inbound.clicks import slack_interaction
from integrations.chat.services.inbound.routing import InboundError, InboundErrorCode, SlackSigned, TeamsSigned
from integrations.chat.services.inbound.slash import slack_command
from integrations.chat.services.inbound.teams import teams_outgoing

__all__ = [
    "InboundError",
    "InboundErrorCode",
    "SlackSigned",
    "TeamsSigned",
    "slack_command",
    "slack_interaction",
    "teams_outgoing",
]
