"""Teams messages: one Adaptive Card (1.4) attachment, as Workflows' "Post to a channel when a webhook request
is received" takes it, and the legacy MessageCard for workflows and connectors that refuse cards.

TextBlock text is Markdown (a CommonMark subset: emphasis, links, lists): the marks it reads as markup, and
<, > and & that Teams could read as HTML or a mention, are backslash-escaped (CommonMark shows an escaped
punctuation mark as itself), in the template's text and in the values, so text shows as written."""

import re

from integrations.chat.messages import Message
from integrations.chat.messages.templates import render

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_MARKUP = re.compile(r"([\\`*_\[\]()#<>&|~])")


def escape(text: str) -> str:
    return _MARKUP.sub(r"\\\1", text)


def teams_text(message: Message) -> str:
    return render(message.template, {name: escape(value) for name, value in message.values.items()}, escape)


def adaptive_card(message: Message) -> dict:
    card = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": teams_text(message), "wrap": True}],
    }
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}]}


def message_card(message: Message) -> dict:
    plain = render(message.template, message.values, lambda text: text)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": plain[:80],
        "text": teams_text(message),
    }
