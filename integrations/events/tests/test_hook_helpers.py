"""What the hook tests share: a funded programme, employees and a KPI rule; endpoints made over REST; bodies
signed with the standardwebhooks library and posted through the whole HTTP stack (no test of its own)."""

import json
import secrets
import time
from datetime import UTC, datetime

import pytest
from django.test import Client
from standardwebhooks import Webhook

from integrations.events.commands import RuleCommand
from integrations.events.models import Event, HookReceipt, Reward
from integrations.events.services.rules import rule_create
from points.models import PointsRequest
from points.tests.factories import make_programme, seed_employees, system

HOOK_ENDPOINTS = "/api/v1/integrations/hook-endpoints/"

# A Darwinbox-style KPI webhook (docs/inbound-webhooks.md, "Darwinbox KPI achievement") and its mapping.
DARWINBOX_MAPPING = {
    "event_id": "/event_id",
    "type": "=kpi.threshold_crossed",
    "employee_id": "/employee/employee_no",
    "occurred_at": "/triggered_at",
    "data": "/goal",
}


def darwinbox_payload(event_id="dbx-evt-1001", employee="E1", achievement=112.5) -> dict:
    return {
        "event_id": event_id,
        "event_type": "goal.achievement_updated",
        "triggered_at": "2026-12-07T09:30:00+05:30",
        "employee": {"employee_no": employee, "full_name": "Asha Rao"},
        "goal": {
            "goal_id": "G-118",
            "title": "Quarterly sales target",
            "kpi": "sales_achievement_pct",
            "achievement": achievement,
            "target": 100,
            "cycle": "FY26-Q3",
        },
    }


@pytest.fixture
def world(tenant):
    """Programme KPI (funded), employees E1 and E2, and the rule: 500 points when achievement >= 100."""
    make_programme(tenant, code="KPI", budget=100_000)
    seed_employees(tenant, "E1", "E2")
    rule = rule_create(actor=system(tenant), command=RuleCommand.parse(KPI_RULE))
    return rule


KPI_RULE = {
    "name": "KPI met",
    "event_type": "kpi.threshold_crossed",
    "conditions": [{"field": "data.achievement", "op": "gte", "value": 100}],
    "points": 500,
    "programme": "KPI",
    "reason": "Quarterly KPI met",
}


def create_endpoint(api, mapping=None, name="Darwinbox KPI") -> dict:
    response = api.post(HOOK_ENDPOINTS, {"name": name, "mapping": mapping or DARWINBOX_MAPPING}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def signature_headers(secret: str, body: bytes, webhook_id: str | None = None, timestamp: float | None = None) -> dict:
    webhook_id = webhook_id or f"msg_{secrets.token_hex(8)}"
    moment = datetime.fromtimestamp(time.time() if timestamp is None else timestamp, tz=UTC)
    signature = Webhook(secret).sign(webhook_id, moment, body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


def post_hook(url: str, body, secret: str | None = None, *, headers=None, content_type="application/json", **signing):
    """POST to /hooks/<key>/ with no token, signed with `secret` unless `headers` are given."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if headers is None:
        headers = signature_headers(secret, raw, **signing)
    client = Client(raise_request_exception=False)
    return client.post(url, data=raw, content_type=content_type, headers=headers)


def recorded() -> dict:
    """Everything a delivery could have written."""
    return {
        "events": Event.objects.count(),
        "receipts": HookReceipt.objects.count(),
        "rewards": Reward.objects.count(),
        "points_requests": PointsRequest.objects.count(),
    }


NOTHING = {"events": 0, "receipts": 0, "rewards": 0, "points_requests": 0}
