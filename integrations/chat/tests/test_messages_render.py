"""Message shapes: Slack Block Kit (parsed back by slack_sdk's models, which validate, and compared as exact
JSON), the Adaptive Card 1.4 attachment against a JSON Schema of the subset Plum sends, the MessageCard; the
templates' formatter (no attribute access, no format specs) and escaping of what people type."""

import jsonschema
import pytest
from slack_sdk.models.blocks import Block

from integrations.chat.messages import Person, message_for
from integrations.chat.messages.slack import slack_payload
from integrations.chat.messages.teams import adaptive_card, message_card
from integrations.chat.messages.templates import render, template_problems

CREDITED = {
    "id": "0b9a9f7e-0000-4000-8000-00000000000c",
    "status": "credited",
    "points": 1500,
    "employee_id": "E7",
    "programme": "SPOT",
    "reason": "Saved the launch",
    "balance_after": 12500,
}
TRICKY = Person(employee_id="E7", full_name="<!channel> & Bob")

# Adaptive Card 1.4, the part of http://adaptivecards.io/schemas/adaptive-card.json that Plum sends, strictly.
ADAPTIVE_MESSAGE = {
    "type": "object",
    "required": ["type", "attachments"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "additionalProperties": False,
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": {
                        "type": "object",
                        "required": ["type", "version", "body"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "AdaptiveCard"},
                            "$schema": {"const": "http://adaptivecards.io/schemas/adaptive-card.json"},
                            "version": {"const": "1.4"},
                            "body": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type", "text"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "type": {"const": "TextBlock"},
                                        "text": {"type": "string", "minLength": 1},
                                        "wrap": {"type": "boolean"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def credited(person=TRICKY, templates=None):
    return message_for("points_request.credited", CREDITED, templates=templates or {}, person=person)


def test_slack_blocks_are_valid_block_kit_and_exact():
    payload = slack_payload(credited(Person("E7", "Grace Hopper", "U0GRACE")))
    text = "<@U0GRACE> received 1,500 points in SPOT: Saved the launch. New balance: 12,500 points."
    assert payload == {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    for block in payload["blocks"]:
        assert Block.parse(block).to_dict() == block  # slack_sdk validates on to_dict


def test_a_pending_request_has_buttons_slack_sdk_accepts():
    message = message_for(
        "points_request.pending_approval", {**CREDITED, "status": "pending_approval"}, templates={}, person=None
    )
    payload = slack_payload(message)
    actions = payload["blocks"][1]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("points_request.approve", CREDITED["id"]),
        ("points_request.reject", CREDITED["id"]),
    ]
    assert Block.parse(actions).to_dict() == actions
    assert payload["text"] == "1,500 points for E7 in SPOT are waiting for approval: Saved the launch."


def test_slack_mrkdwn_is_escaped_in_names_reasons_and_the_template_itself():
    data = {**CREDITED, "reason": "<https://evil.example|click> & win"}
    message = message_for(
        "points_request.credited",
        data,
        templates={"points_request.credited": "<!here> {employee}: {reason}"},
        person=TRICKY,
    )
    assert slack_payload(message)["text"] == (
        "&lt;!here&gt; &lt;!channel&gt; &amp; Bob: &lt;https://evil.example|click&gt; &amp; win"
    )


def test_an_unusable_slack_id_is_not_trusted_as_a_mention():
    message = credited(Person("E7", "Eve", "U1> <!channel"))
    assert slack_payload(message)["text"].startswith("Eve received")


def test_teams_adaptive_card_matches_the_schema_and_escapes_markdown():
    card = adaptive_card(credited())
    jsonschema.validate(card, ADAPTIVE_MESSAGE)
    text = card["attachments"][0]["content"]["body"][0]["text"]
    assert text == r"\<!channel\> \& Bob received 1,500 points in SPOT: Saved the launch. New balance: 12,500 points."
    data = {**CREDITED, "reason": "[click](https://evil.example) **now**"}
    card = adaptive_card(message_for("points_request.credited", data, templates={}, person=TRICKY))
    assert r"\[click\]\(https://evil.example\) \*\*now\*\*" in card["attachments"][0]["content"]["body"][0]["text"]


def test_the_message_card_fallback():
    card = message_card(credited(Person("E7", "Grace Hopper")))
    text = "Grace Hopper received 1,500 points in SPOT: Saved the launch. New balance: 12,500 points."
    assert card == {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": text[:80],
        "text": text,
    }


def test_a_voucher_message_never_carries_the_code():
    voucher = {"employee_id": "E7", "brand": "Acme", "product": "Gift card", "denomination": 50, "currency": "EUR"}
    voucher |= {"code": "ABCD-1234-SECRET", "pin": "9999", "points": 5000}
    templates = {"voucher.issued": "{employee} {brand} {product}"}
    for tpl in ({}, templates):
        message = message_for("voucher.issued", voucher, templates=tpl, person=Person("E7", "Grace Hopper"))
        assert "ABCD" not in slack_payload(message)["text"] and "9999" not in slack_payload(message)["text"]
    names = "employee, employee_id, brand, product, denomination, currency, points, event_type"
    assert template_problems("voucher.issued", "{code}") == [f"Unknown placeholder {{code}}; one of {names}."]


def test_hrms_sync_says_completed_or_held_for_confirmation():
    held = {"status": "needs_confirmation", "fetched": 900, "would_deactivate": 120, "created": 0, "updated": 0}
    held |= {"deactivated": 0, "unchanged": 0}
    text = slack_payload(message_for("hrms_sync.completed", held, templates={}, person=None))["text"]
    assert text.startswith("HRMS sync is held for confirmation: it would deactivate 120 employees. Fetched 900:")
    done = {**held, "status": "completed", "created": 3}
    text = slack_payload(message_for("hrms_sync.completed", done, templates={}, person=None))["text"]
    assert text == "HRMS sync completed. Fetched 900: 3 created, 0 updated, 0 deactivated, 0 unchanged."


@pytest.mark.parametrize(
    "template",
    ["{employee.__class__}", "{employee!r}", "{points:>99999}", "{0}", "{reason[0]}", "{__globals__}", "{"],
)
def test_templates_that_reach_for_more_than_a_name_are_refused(template):
    assert template_problems("points_request.credited", template) != []


def test_the_formatter_substitutes_names_only_and_keeps_escaped_braces():
    values = {"employee": "Bob", "points": "5"}
    assert render("{{employee}} {employee} got {points}}}", values, str) == "{employee} Bob got 5}"
    assert render("{employee.__class__} {points:>9}", values, str) == "{employee.__class__} {points:>9}"
