"""What Slack posts: /integrations/slack/commands/ (slash commands) and /integrations/slack/interactions/
(button clicks). The Slack signing secret authenticates them, not an OAuth token: they declare PUBLIC like
/hooks/, take no cookies (so no CSRF), and stay out of the OpenAPI document (Slack defines their bodies;
docs/slack-teams-commands.md describes them)."""

import re

from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.chat.services import inbound
from plum.api.limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from plum.api.query import HeaderContentNegotiation
from plum.api.scopes import PUBLIC
from plum.api.throttling import FixedWindowThrottle


class InboundThrottle(FixedWindowThrottle):
    """The clients' rate, counted per Teams channel or, for Slack (one sender for every workspace), per address."""

    scope = "client"

    def get_ident_key(self, request, view) -> str:
        channel = re.sub(r"[^A-Za-z0-9-]", "", view.kwargs.get("channel_id", ""))[:40]
        return f"chat-teams-{channel}" if channel else f"chat-slack-{self.get_ident(request)}"


class SignedView(APIView):
    """A view whose caller proves itself by a signature over the raw body, read as sent."""

    authentication_classes = []
    required_scopes = PUBLIC
    throttle_classes = [InboundThrottle]
    content_negotiation_class = HeaderContentNegotiation
    http_method_names = ["post", "options"]
    schema = None

    def initial(self, request, *args, **kwargs):
        check_body_size(request, DEFAULT_MAX_BODY_BYTES)
        super().initial(request, *args, **kwargs)


def slack_signed(request) -> inbound.SlackSigned:
    return inbound.SlackSigned(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    )


class SlackCommandView(SignedView):
    """`/plum balance`, `/plum history`: 200 {"response_type": "ephemeral", "text", "blocks"}; 401 unsigned."""

    def post(self, request):
        return Response(inbound.slack_command(request=slack_signed(request)))


class SlackInteractionView(SignedView):
    """Approve / Reject clicks: 200 and an empty body (the outcome goes to the click's response_url); 401 unsigned."""

    def post(self, request):
        inbound.slack_interaction(request=slack_signed(request))
        return Response(status=200)
