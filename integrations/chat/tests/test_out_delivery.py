"""A points credit reaching Slack (incoming webhook; the app to a channel and to the employee, found by email
and remembered) and Teams within one relay + dispatch cycle, against real HTTP servers on 127.0.0.1; and the
sending rules: 429 waits Retry-After, 410 and 404 no_service disable, other 4xx are dead, 5xx retried, a
card refused falls back to a MessageCard (remembered), a send interrupted mid-call is never sent again."""

import json
from datetime import timedelta

import pytest
from werkzeug import Response

from integrations.chat.models import Channel, Notification
from integrations.chat.services.notifications import INTERRUPTED
from integrations.chat.tests import test_out_support as support
from integrations.chat.tests.test_out_support import BOT, CHANNEL, credit, make_channel, notifications_of, slack_app
from plum.core.models import OutboxEvent
from users.models import Employee

clock, cycle, _loopback = support.clock, support.cycle, support._loopback  # the shared fixtures (the last autouse)

pytestmark = pytest.mark.django_db
HOOK = "/services/T0/B0/secret"
TEXT = "Grace Hopper received 250 points in P1: Shipped the release. New balance: 250 points."
GRACE = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


def blocks(text: str) -> list:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def answers(httpserver, path: str, *responses):
    """The server answers `path` with each response in turn (the last one from then on)."""
    remaining = list(responses)

    def handler(request):
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    httpserver.expect_request(path, method="POST").respond_with_handler(handler)


def posted(httpserver, path: str) -> list:
    return [request.get_json() for request, _ in httpserver.log if request.path == path]


def test_a_credit_reaches_a_slack_incoming_webhook(tenant, httpserver, cycle):
    answers(httpserver, HOOK, Response("ok"))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant, **GRACE)
    assert cycle() == ["sent"]
    assert posted(httpserver, HOOK) == [{"text": TEXT, "blocks": blocks(TEXT)}]
    [notification] = notifications_of(channel)
    assert (notification.state, notification.attempts, notification.last_status_code, notification.last_error) == (
        "sent",
        1,
        200,
        "",
    )
    assert notification.event_type == "points_request.credited" and notification.sent_at is not None
    assert cycle() == []  # nothing is ever sent twice


def test_a_slack_app_posts_to_its_channel_with_the_bot_token_and_keeps_channel_and_ts(tenant, httpserver, cycle):
    answers(httpserver, "/api/chat.postMessage", Response(json.dumps({"ok": True, "channel": CHANNEL, "ts": "17.01"})))
    channel = slack_app(tenant.organisation.id, events=["points_request.credited"])
    credit(tenant, **GRACE, slack_user_id="U0GRACE")
    assert cycle() == ["sent"]
    [(request, _)] = httpserver.log
    assert request.headers["Authorization"] == f"Bearer {BOT}"
    text = "<@U0GRACE> received 250 points in P1: Shipped the release. New balance: 250 points."
    assert request.get_json() == {"channel": CHANNEL, "text": text, "blocks": blocks(text)}
    [notification] = notifications_of(channel)
    assert (notification.state, notification.message_ref) == ("sent", {"channel": CHANNEL, "ts": "17.01"})


def test_a_direct_message_finds_the_employee_by_email_once_and_remembers_the_id(tenant, httpserver, cycle):
    lookup = {"ok": True, "user": {"id": "U0GRACE", "profile": {"email": "grace@example.com"}}}
    answers(httpserver, "/api/users.lookupByEmail", Response(json.dumps(lookup)))
    answers(httpserver, "/api/chat.postMessage", Response(json.dumps({"ok": True, "channel": "D01", "ts": "1.2"})))
    channel = slack_app(tenant.organisation.id, target="employee", events=["points_request.credited"])
    credit(tenant, **GRACE)
    assert cycle() == ["sent"]
    lookups = [r for r, _ in httpserver.log if r.path == "/api/users.lookupByEmail"]
    assert [dict(r.form) for r in lookups] == [{"email": "grace@example.com"}]
    assert posted(httpserver, "/api/chat.postMessage") == [{"channel": "U0GRACE", "text": TEXT, "blocks": blocks(TEXT)}]
    assert Employee.objects.get(employee_id="E1").slack_user_id == "U0GRACE"
    assert OutboxEvent.objects.filter(event_type="employee.updated").count() == 1  # through employee_update

    credit(tenant, points=300)  # the second one: no lookup
    assert cycle() == ["sent"]
    assert len([r for r, _ in httpserver.log if r.path == "/api/users.lookupByEmail"]) == 1
    second = posted(httpserver, "/api/chat.postMessage")[1]
    assert second["channel"] == "U0GRACE" and second["text"].startswith("<@U0GRACE> received 300 points")
    assert [n.state for n in notifications_of(channel)] == ["sent", "sent"]


def test_an_employee_slack_does_not_know_is_skipped(tenant, httpserver, cycle):
    answers(httpserver, "/api/users.lookupByEmail", Response(json.dumps({"ok": False, "error": "users_not_found"})))
    channel = slack_app(tenant.organisation.id, target="employee", events=["points_request.credited"])
    credit(tenant, **GRACE)
    assert cycle() == ["skipped"]
    assert posted(httpserver, "/api/chat.postMessage") == []
    [notification] = notifications_of(channel)
    assert (notification.state, notification.last_error) == ("skipped", "Slack knows no user with the employee's email")
    assert Employee.objects.get(employee_id="E1").slack_user_id == ""


def test_a_credit_reaches_teams_as_one_adaptive_card(tenant, httpserver, cycle):
    answers(httpserver, "/workflows/run", Response("", status=202))
    channel = make_channel(tenant.organisation.id, "teams_workflow", webhook_url=httpserver.url_for("/workflows/run"))
    credit(tenant, **GRACE)
    assert cycle() == ["sent"]
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": TEXT, "wrap": True}],
    }
    assert posted(httpserver, "/workflows/run") == [
        {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }
    ]
    assert notifications_of(channel)[0].last_status_code == 202


def test_a_workflow_that_refuses_cards_gets_a_message_card_and_is_remembered(tenant, httpserver, cycle):
    refusal = Response("Bad payload: adaptive card attachments are not supported", status=400)
    answers(httpserver, "/hook", refusal, Response("1"))
    channel = make_channel(tenant.organisation.id, "teams_workflow", webhook_url=httpserver.url_for("/hook"))
    credit(tenant, **GRACE)
    assert cycle() == ["sent"]
    legacy = {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": TEXT[:80], "text": TEXT}
    first, second = posted(httpserver, "/hook")
    assert first["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert second == legacy
    channel.refresh_from_db()
    assert channel.teams_message_card is True and channel.active
    credit(tenant, points=300)
    assert cycle() == ["sent"]
    assert posted(httpserver, "/hook")[2]["@type"] == "MessageCard"  # straight to the MessageCard
    assert len(httpserver.log) == 3


def test_429_waits_at_least_retry_after_then_sends(tenant, httpserver, cycle, clock):
    answers(httpserver, HOOK, Response("rate_limited", status=429, headers={"Retry-After": "30"}), Response("ok"))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant)
    start = clock.now
    assert cycle() == ["failed"]
    [notification] = notifications_of(channel)
    assert (notification.last_status_code, notification.next_attempt_at) == (429, start + timedelta(seconds=30))
    assert notification.last_error == "Slack answered 429: rate_limited"
    clock.advance(seconds=29)  # past the schedule's 5 s, not past Retry-After
    assert cycle() == []
    clock.advance(seconds=1)
    assert cycle() == ["sent"]
    assert len(httpserver.log) == 2 and notifications_of(channel)[0].attempts == 2


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (410, "channel_is_archived", "Slack answered 410: channel_is_archived"),
        (404, "no_service", "Slack answered 404: no_service"),
    ],
)
def test_410_and_no_service_disable_the_channel(tenant, httpserver, cycle, status, body, reason):
    answers(httpserver, HOOK, Response(body, status=status))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant)
    assert cycle() == ["dead"]
    channel.refresh_from_db()
    assert (channel.active, channel.disabled_reason) == (False, reason)
    credit(tenant, points=300)
    assert cycle() == [] and len(httpserver.log) == 1
    assert len(notifications_of(channel)) == 1  # a disabled channel gets no new notifications


def test_another_4xx_is_dead_at_once_and_the_channel_stays(tenant, httpserver, cycle, clock):
    answers(httpserver, HOOK, Response("invalid_payload", status=400))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant)
    assert cycle() == ["dead"]
    clock.advance(days=2)
    assert cycle() == [] and len(httpserver.log) == 1
    [notification] = notifications_of(channel)
    assert (notification.last_error, notification.next_attempt_at) == ("Slack answered 400: invalid_payload", None)
    channel.refresh_from_db()
    assert (channel.active, channel.disabled_reason) == (True, "")


def test_5xx_is_retried_on_the_schedule(tenant, httpserver, cycle, clock):
    answers(httpserver, HOOK, Response("rollup_error", status=500), Response("oops", status=503), Response("ok"))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant)
    start = clock.now
    assert cycle() == ["failed"]
    assert notifications_of(channel)[0].next_attempt_at == start + timedelta(seconds=5)
    clock.advance(seconds=5)
    assert cycle() == ["failed"]
    assert notifications_of(channel)[0].next_attempt_at == clock.now + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert cycle() == ["sent"] and len(httpserver.log) == 3


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth", "account_inactive"])
def test_slack_app_errors_that_disable_the_channel(tenant, httpserver, cycle, error):
    answers(httpserver, "/api/chat.postMessage", Response(json.dumps({"ok": False, "error": error})))
    channel = slack_app(tenant.organisation.id, events=["points_request.credited"])
    credit(tenant)
    assert cycle() == ["dead"]
    channel.refresh_from_db()
    assert (channel.active, channel.disabled_reason) == (False, f"Slack answered 200: {error}")


def test_slack_app_ratelimited_waits_retry_after(tenant, httpserver, cycle, clock):
    limited = Response(json.dumps({"ok": False, "error": "ratelimited"}), status=429, headers={"Retry-After": "60"})
    ok = Response(json.dumps({"ok": True, "channel": CHANNEL, "ts": "9.9"}))
    answers(httpserver, "/api/chat.postMessage", limited, ok)
    channel = slack_app(tenant.organisation.id, events=["points_request.credited"])
    credit(tenant)
    start = clock.now
    assert cycle() == ["failed"]
    assert notifications_of(channel)[0].next_attempt_at == start + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert cycle() == ["sent"]


def test_a_send_interrupted_mid_call_is_never_sent_again(tenant, httpserver, cycle, clock):
    """A worker died after marking it `sending` (committed) and before recording the answer: Slack may or may
    not have posted it. When its lease ends the dispatcher marks it dead instead of posting it again."""
    answers(httpserver, HOOK, Response("ok"))
    channel = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK))
    credit(tenant)
    from integrations.webhooks.services.relay import outbox_relay

    outbox_relay()
    [notification] = notifications_of(channel)
    # what notification_send commits before calling Slack
    Notification.objects.filter(pk=notification.pk).update(
        state="sending", attempts=1, next_attempt_at=clock.now + timedelta(minutes=5)
    )
    assert cycle() == []  # still within its lease: left alone
    clock.advance(minutes=5)
    assert cycle() == []
    notification.refresh_from_db()
    assert (notification.state, notification.last_error, notification.next_attempt_at) == ("dead", INTERRUPTED, None)
    clock.advance(days=1)
    assert cycle() == [] and httpserver.log == []


def test_a_pending_request_carries_approve_and_reject_buttons(tenant, httpserver, cycle):
    answers(httpserver, HOOK, Response("ok"))
    make_channel(
        tenant.organisation.id, events=["points_request.pending_approval"], webhook_url=httpserver.url_for(HOOK)
    )
    request = credit(tenant, points=5000, **GRACE)
    assert request.status == "pending_approval"
    assert cycle() == ["sent"]
    text = "5,000 points for Grace Hopper in P1 are waiting for approval: Shipped the release."
    buttons = [
        {
            "type": "button",
            "action_id": "points_request.approve",
            "value": str(request.id),
            "style": "primary",
            "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        },
        {
            "type": "button",
            "action_id": "points_request.reject",
            "value": str(request.id),
            "style": "danger",
            "text": {"type": "plain_text", "text": "Reject", "emoji": True},
        },
    ]
    expected = [*blocks(text), {"type": "actions", "block_id": "points_request", "elements": buttons}]
    assert posted(httpserver, HOOK) == [{"text": text, "blocks": expected}]


def test_an_inactive_channel_gets_nothing_and_other_organisations_events_never_reach_it(
    tenant, other_tenant, httpserver, cycle
):
    answers(httpserver, HOOK, Response("ok"))
    mine = make_channel(tenant.organisation.id, webhook_url=httpserver.url_for(HOOK), active=False)
    make_channel(other_tenant.organisation.id, webhook_url=httpserver.url_for(HOOK), events=["voucher.issued"])
    credit(tenant)
    credit(other_tenant)
    assert cycle() == [] and httpserver.log == []
    assert Notification.objects.count() == 0
    assert Channel.objects.get(pk=mine.pk).active is False
