"""Teams outgoing webhook (POST /integrations/teams/outgoing/{channel_id}/): `@Plum balance` answers the
caller's own wallet, 200 {"type": "message", "text"}. Teams waits 5 seconds: nothing here calls out."""

import html
import json
import re

from integrations.chat.services.inbound.routing import TeamsSigned, actor_for, caller, teams_channel
from integrations.chat.services.inbound.wallet import balance_teams

MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]*>")
NOT_LINKED = (
    "Your Teams account is not linked to Plum yet, so there is nothing to show. Ask your Plum administrator "
    "to add your Microsoft Entra object ID to your employee record."
)
HELP = "Mention Plum with **balance** to see your points and what expires soon."


def teams_outgoing(*, request: TeamsSigned) -> dict:
    """The reply to a verified message; InboundError (401) for an unknown channel or a bad HMAC alike."""
    channel = teams_channel(request)
    try:
        activity = json.loads(request.body)
    except ValueError:
        activity = None
    if not isinstance(activity, dict):
        return _reply(HELP)
    words = command_words(activity.get("text"))
    if words[:1] != ["balance"]:
        return _reply(HELP)
    sender = activity.get("from")
    aad_object_id = sender.get("aadObjectId") if isinstance(sender, dict) else None
    employee = caller(channel.organisation_id, teams_user_id=aad_object_id)
    if employee is None:
        return _reply(NOT_LINKED)
    return _reply(balance_teams(actor_for(channel.organisation_id, f"teams:{aad_object_id}"), employee))


def command_words(text) -> list[str]:
    """The message's words once mentions (`<at>Plum</at>`), other markup and entities are gone, lower case."""
    if not isinstance(text, str):
        return []
    plain = html.unescape(TAG.sub(" ", MENTION.sub(" ", text)))
    return plain.lower().split()


def _reply(text: str) -> dict:
    return {"type": "message", "text": text}
