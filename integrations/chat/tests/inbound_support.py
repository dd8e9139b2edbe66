"""Helpers for the inbound Slack and Teams tests (no tests here): an organisation with people, a programme and
its channels, Slack v0 and Teams HMAC signing as the vendors do it, and callers of the three doors."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.test import Client

from integrations.chat.models import Channel
from plum.core.actor import Actor
from plum.core.keys import seal
from plum.testing.tenants import Tenant
from points.commands import PointsRequestCommand, ProgrammeCommand
from points.models import PointsRequest
from points.services import points_request_submit, programme_create
from points.tests.ledger_support import ledger_state, topup
from tests.support import seed

COMMANDS, INTERACTIONS = "/integrations/slack/commands/", "/integrations/slack/interactions/"
PENDING = "points_request.pending_approval"
SLACK_CHANNEL = "C0PLUMAPPR"
THRESHOLD = 100  # requests of at least this many points wait for approval
# employee id -> (first name, Slack id, Teams aadObjectId, manager)
PEOPLE = {
    "E2": ("Maya", "U0MANAGER", "aad-manager", None),
    "E1": ("Ravi", "U0RECIPIENT", "aad-recipient", "E2"),
    "E3": ("Lena", "U0APPROVER", "aad-approver", None),
    "E4": ("Omar", "U0STRANGER", "aad-stranger", None),
}


@dataclass
class Org:
    tenant: Tenant
    team_id: str
    signing_secret: str
    outgoing_secret: str
    slack: Channel
    teams: Channel

    @property
    def id(self):
        return self.tenant.organisation.id

    @property
    def actor(self) -> Actor:
        return Actor.system(self.id)

    def submit(self, request_id: str, points: int, employee: str = "E1", reason: str = "") -> PointsRequest:
        data = {"request_id": request_id, "employee_id": employee, "points": points, "programme": "KUDOS"}
        command = PointsRequestCommand.parse({**data, "reason": reason})
        return points_request_submit(actor=self.actor, command=command).request

    def wallet(self, employee: str = "E1") -> dict:
        return self.tenant.api().get(f"/api/v1/wallets/{employee}/").json()

    def lines(self, employee: str = "E1") -> list[dict]:
        return self.tenant.api().get(f"/api/v1/wallets/{employee}/transactions/").json()["results"]


def make_org(make_tenant, *, team_id: str = "T0ACME", approvers=(), people=PEOPLE) -> Org:
    tenant = make_tenant()
    seed(
        tenant,
        [
            {
                "employee_id": key,
                "email": f"{key.lower()}@example.com",
                "first_name": first,
                "last_name": "Example",
                "slack_user_id": slack,
                "teams_user_id": teams,
                **({"manager_employee_id": manager} if manager else {}),
            }
            for key, (first, slack, teams, manager) in people.items()
        ],
    )
    actor = Actor.system(tenant.organisation.id)
    command = {"code": "KUDOS", "name": "Kudos & <Thanks>", "approval_threshold": THRESHOLD, "points_validity_days": 30}
    programme_create(actor=actor, command=ProgrammeCommand.parse(command))
    topup(actor, "KUDOS", 1_000_000)
    signing_secret, outgoing_secret = secrets.token_hex(16), base64.b64encode(secrets.token_bytes(32)).decode()
    slack = add_channel(
        tenant.organisation.id,
        kind=Channel.Kind.SLACK_APP,
        team_id=team_id,
        slack_channel_id=SLACK_CHANNEL,
        approvers=list(approvers),
        signing_secret=signing_secret,
        bot_token="xoxb-test",
    )
    teams = add_channel(
        tenant.organisation.id, kind=Channel.Kind.TEAMS_WORKFLOW, outgoing_secret=outgoing_secret, webhook_url="x"
    )
    return Org(tenant, team_id, signing_secret, outgoing_secret, slack, teams)


def add_channel(organisation_id, *, kind, events=(PENDING,), **fields) -> Channel:
    sealed = {
        f"{name}_sealed": seal(fields.pop(name), organisation_id)
        for name in ("signing_secret", "outgoing_secret", "bot_token", "webhook_url")
        if name in fields
    }
    return Channel.objects.create(organisation_id=organisation_id, kind=kind, events=list(events), **fields, **sealed)


def slack_headers(secret: str, body: bytes, timestamp: float | None = None) -> dict:
    stamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def post_slack(path: str, body: bytes, secret: str | None = None, *, headers=None, **signing):
    """POST a form as Slack does, signed with `secret` unless `headers` are given."""
    headers = slack_headers(secret, body, **signing) if headers is None else headers
    return Client().post(path, data=body, content_type="application/x-www-form-urlencoded", headers=headers)


def command_body(org: Org, user_id: str, text: str, *, team_id: str | None = None) -> bytes:
    fields = {
        "token": "deprecated-verification-token",
        "team_id": org.team_id if team_id is None else team_id,
        "team_domain": "acme",
        "channel_id": "C0RANDOM",
        "channel_name": "random",
        "user_id": user_id,
        "user_name": "someone",
        "command": "/plum",
        "text": text,
        "api_app_id": "A0PLUM",
        "response_url": "https://hooks.slack.com/commands/T0ACME/1/abc",
        "trigger_id": "1.2.3",
    }
    return urlencode(fields).encode()


def slash(org: Org, user_id: str, text: str, **options):
    return post_slack(COMMANDS, command_body(org, user_id, text, **options), org.signing_secret)


def click_body(org: Org, user_id: str, action_id: str, value: str, response_url: str, **where) -> bytes:
    """A block_actions payload as Slack posts it for a button on a message in a channel."""
    channel_id, ts = where.get("channel_id", SLACK_CHANNEL), where.get("message_ts", "1700000000.000100")
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "team_id": org.team_id},
        "api_app_id": "A0PLUM",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": "1.2.3",
        "team": {"id": where.get("team_id", org.team_id), "domain": "acme"},
        "channel": {"id": channel_id, "name": "approvals"},
        "message": {"type": "message", "ts": ts, "text": "pending", "blocks": []},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "points_request",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def teams_body(aad_object_id: str | None, text: str) -> bytes:
    activity = {
        "type": "message",
        "id": "1700000000000",
        "timestamp": "2026-12-07T09:30:00.000Z",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {"id": "29:1abc", "name": "Someone", "aadObjectId": aad_object_id},
        "conversation": {"isGroup": True, "id": "19:abc@thread.tacv2;messageid=1700000000000"},
        "recipient": None,
        "textFormat": "plain",
        "text": text,
        "entities": [{"type": "mention", "mentioned": {"id": "28:plum", "name": "Plum"}, "text": "<at>Plum</at>"}],
        "channelData": {"tenant": {"id": "72f988bf-0000-0000-0000-000000000000"}},
    }
    return json.dumps(activity).encode()


def teams_authorization(secret: str, body: bytes) -> str:
    digest = hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()
    return "HMAC " + base64.b64encode(digest).decode()


def post_teams(channel_id, body: bytes, secret: str | None = None, *, authorization: str | None = None):
    if authorization is None and secret is not None:
        authorization = teams_authorization(secret, body)
    headers = {"Authorization": authorization} if authorization is not None else {}
    return Client().post(
        f"/integrations/teams/outgoing/{channel_id}/", data=body, content_type="application/json", headers=headers
    )


def everything() -> dict:
    """Every row a decision could touch: requests, ledger, lots, outbox events."""
    return ledger_state()


@pytest.fixture
def slack_receiver(httpserver, settings):
    """pytest-httpserver standing in for Slack's response_url; answers `ok` as Slack does."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    httpserver.expect_request("/actions/T0ACME/1/xyz", method="POST").respond_with_data("ok")
    return httpserver


def response_url(server) -> str:
    return server.url_for("/actions/T0ACME/1/xyz")


def received(server) -> list[dict]:
    """What Slack's response_url was sent, in order."""
    return [json.loads(request.get_data()) for request, _ in server.log]
