"""Slack messages with slack_sdk's Block Kit models: `text` (notifications, screen readers) and `blocks`.

mrkdwn is escaped as Slack asks (&, <, > as entities), in the template's own text and in every value, so a
name like `<!channel>` is shown, never acted on; the only markup Plum adds is the `<@U…>` mention it builds
from a stored Slack user id."""

import re

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from integrations.chat.messages import Message
from integrations.chat.messages.templates import render

APPROVE, REJECT = "points_request.approve", "points_request.reject"
SECTION_MAX = 3000  # Block Kit's limit on a section's text
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(message: Message) -> str:
    """`<@U…>` for a person whose Slack id Plum knows, else their escaped name."""
    person = message.person
    if person is not None and _USER_ID.match(person.slack_user_id or ""):
        return f"<@{person.slack_user_id}>"
    return escape(message.values.get("employee", ""))


def slack_text(message: Message) -> str:
    safe = {name: escape(value) for name, value in message.values.items()}
    safe["employee"] = mention(message)
    text = render(message.template, safe, escape)
    return text if len(text) <= SECTION_MAX else text[: SECTION_MAX - 1] + "…"


def slack_payload(message: Message) -> dict:
    """{"text", "blocks"} as chat.postMessage and incoming webhooks take them (validated by slack_sdk)."""
    text = slack_text(message)
    blocks = [SectionBlock(text=MarkdownTextObject(text=text))]
    if message.approval_request:
        blocks.append(
            ActionsBlock(
                block_id="points_request",
                elements=[
                    ButtonElement(text="Approve", action_id=APPROVE, value=message.approval_request, style="primary"),
                    ButtonElement(text="Reject", action_id=REJECT, value=message.approval_request, style="danger"),
                ],
            )
        )
    return {"text": text, "blocks": [block.to_dict() for block in blocks]}
