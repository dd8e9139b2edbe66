"""The ready-made mappings of docs/inbound-webhooks.md, read from the page itself: each vendor's body, signed,
posted to a real endpoint made with the page's mapping, gets the event and the reward the page promises."""

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.events.commands import RuleCommand
from integrations.events.services.rules import rule_create
from integrations.events.tests.test_hook_helpers import create_endpoint, post_hook, recorded
from points.tests.factories import make_programme, seed_employees, system

PAGE = Path(__file__).resolve().parents[3] / "docs" / "inbound-webhooks.md"
EXAMPLE = re.compile(r"<!-- example: ([\w.]+) -->\n```json\n(.*?)\n```", re.S)
VENDORS = ("darwinbox", "typeform", "docebo")


def examples() -> dict:
    return {name: json.loads(text) for name, text in EXAMPLE.findall(PAGE.read_text())}


EXPECTED = {
    "darwinbox": {
        "event_id": "dbx-evt-1001",
        "type": "kpi.threshold_crossed",
        "occurred_at": "2026-12-07T04:00:00Z",
        "data": {
            "goal_id": "G-118",
            "title": "Quarterly sales target",
            "kpi": "sales_achievement_pct",
            "achievement": 112.5,
            "target": 100,
            "cycle": "FY26-Q3",
        },
        "points": 500,
    },
    "typeform": {
        "event_id": "a3a12ec67a1365927098a606107fac15",
        "type": "survey.completed",
        "occurred_at": "2026-12-07T09:41:12Z",
        "data": {"form_id": "lT4Z3j", "score": 9, "first_answer": 9},
        "points": 50,
    },
    "docebo": {
        "event_id": "5d5e7a3c-6f1b-4d8e-9a51-0f3c2e1b7d44",
        "type": "course.completed",
        "occurred_at": None,  # the signing time: Docebo's dates carry no offset
        "data": None,  # the whole payload
        "points": 200,
    },
}


def test_the_page_has_a_payload_mapping_and_rule_for_each_vendor():
    assert sorted(examples()) == sorted(
        f"{vendor}.{part}" for vendor in VENDORS for part in ("payload", "mapping", "rule")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendor_s_body_becomes_the_event_and_reward_the_page_promises(api, tenant, vendor):
    found = examples()
    make_programme(tenant, code="DEMO", budget=100_000)
    seed_employees(tenant, "E00042")
    rule = rule_create(actor=system(tenant), command=RuleCommand.parse(found[f"{vendor}.rule"]))
    endpoint = create_endpoint(api, mapping=found[f"{vendor}.mapping"], name=vendor)
    signed_at = int(time.time())

    response = post_hook(endpoint["url"], found[f"{vendor}.payload"], endpoint["secret"], timestamp=signed_at)

    assert response.status_code == 201, response.content
    event, expected = response.json(), EXPECTED[vendor]
    assert (event["event_id"], event["type"], event["employee_id"]) == (
        expected["event_id"],
        expected["type"],
        "E00042",
    )
    occurred_at = expected["occurred_at"] or datetime.fromtimestamp(signed_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["occurred_at"] == occurred_at
    assert event["data"] == (expected["data"] or found[f"{vendor}.payload"]["payload"])
    assert [(r["rule"], r["status"], r["points"]) for r in event["rewards"]] == [
        (str(rule.id), "credited", expected["points"])
    ]
    assert api.get("/api/v1/wallets/E00042/").json()["balance"] == expected["points"]
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 1, "points_requests": 1}
