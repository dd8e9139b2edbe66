"""/integrations/: what Slack and Teams call (slash commands, button clicks, Teams outgoing webhooks), each
verified by its vendor's signature instead of a token (docs/slack-teams-commands.md)."""

from django.urls import path

from integrations.chat.api.slack import SlackCommandView, SlackInteractionView
from integrations.chat.api.teams import TeamsOutgoingView

urlpatterns = [
    path("slack/commands/", SlackCommandView.as_view(), name="chat-slack-commands"),
    path("slack/interactions/", SlackInteractionView.as_view(), name="chat-slack-interactions"),
    path("teams/outgoing/<str:channel_id>/", TeamsOutgoingView.as_view(), name="chat-teams-outgoing"),
]
