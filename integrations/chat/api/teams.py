"""What Teams posts: /integrations/teams/outgoing/{channel_id}/, an outgoing webhook authenticated by its
HMAC (`Authorization: HMAC …`) under the channel's outgoing secret. An unknown channel is the same 401 as a
bad signature, so channel ids cannot be probed."""

from rest_framework.response import Response

from integrations.chat.api.slack import SignedView
from integrations.chat.services import inbound


class TeamsOutgoingView(SignedView):
    """`@Plum balance`: 200 {"type": "message", "text"}; 401 for a bad or missing HMAC or an unknown channel."""

    def post(self, request, channel_id):
        signed = inbound.TeamsSigned(
            channel_id=channel_id, body=request.body, authorization=request.headers.get("Authorization")
        )
        return Response(inbound.teams_outgoing(request=signed))
