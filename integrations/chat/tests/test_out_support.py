"""Shared by the outbound chat tests (no tests here): channels made through the service, a points credit and
a pending request made through the points service, one relay + dispatch + send cycle as a worker runs it,
and a clock the tests move."""

from types import SimpleNamespace

import pytest

from integrations.chat.commands import ChannelCreate
from integrations.chat.models import Channel, Notification
from integrations.chat.services import channels, notifications
from integrations.webhooks.services import relay
from integrations.webhooks.tests.test_deliveries_support import Clock
from plum.core.actor import Actor
from points.models import Programme
from points.tests.factories import make_programme, submit
from users.models import Employee
from users.tests.factories import EmployeeFactory

TEAM = "T0PLUM001"
CHANNEL = "C0REWARDS"
BOT = "xoxb-1111-2222-abcdef"
SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"


def make_channel(
    organisation_id, kind: str = "slack_webhook", events=("points_request.credited",), **fields
) -> Channel:
    command = ChannelCreate.parse({"kind": kind, "events": list(events), **fields})
    return channels.channel_create(actor=Actor.system(organisation_id, "tests"), command=command)


def slack_app(organisation_id, target: str = "channel", **fields) -> Channel:
    values = {"bot_token": BOT, "signing_secret": SIGNING, "team_id": TEAM, "target": target, **fields}
    if target == "channel":
        values.setdefault("slack_channel_id", CHANNEL)
    return make_channel(organisation_id, "slack_app", **values)


def credit(tenant, employee_id: str = "E1", points: int = 250, reason: str = "Shipped the release", **employee):
    """An employee (made once) and a points request credited at once by the points service."""
    organisation = tenant.organisation
    if not Employee.objects.filter(organisation=organisation, employee_id=employee_id).exists():
        EmployeeFactory(organisation=organisation, employee_id=employee_id, **employee)
    if not Programme.objects.filter(organisation=organisation, code="P1").exists():
        make_programme(tenant, "P1", budget=100_000, approval_threshold=1000)
    return submit(tenant, request_id=f"R-{employee_id}-{points}", employee_id=employee_id, points=points, reason=reason)


def notifications_of(channel) -> list[Notification]:
    return list(Notification.objects.filter(channel=channel).order_by("created_at", "event_id"))


@pytest.fixture
def cycle(django_capture_on_commit_callbacks):
    """The outbox relay, the chat dispatcher, then each message it queued, as a worker would run them.
    Answers the states the sends reached."""

    def run() -> list[str]:
        relay.outbox_relay()
        queued = []
        with django_capture_on_commit_callbacks(execute=True):
            notifications.notifications_dispatch(send=lambda ids, token: queued.append((ids, token)))
        return [state for ids, token in queued for state in notifications.notifications_send(ids, token).values()]

    return run


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() of the relay, the dispatcher and the chat sends, moved only by the test."""
    from integrations.webhooks.services import deliveries

    fake = Clock()
    for module in (deliveries, relay, notifications):
        monkeypatch.setattr(module, "timezone", SimpleNamespace(now=fake))
    return fake


@pytest.fixture(autouse=True)
def _loopback(settings, httpserver):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SLACK_API_URL = httpserver.url_for("/api/")
