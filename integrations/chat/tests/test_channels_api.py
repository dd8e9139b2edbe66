"""REST /api/v1/integrations/notifications/: CRUD with exact bodies, write-only fields sealed and never answered,
each kind's fields, templates, approvers, the SSRF guard (422), a workspace held by another organisation (409,
also when two organisations race for it), idempotent creation, strict query parameters, test messages."""

import threading

import pytest
from django.db import connection
from werkzeug import Response

from integrations.chat.models import Channel, Notification, SlackTeam
from integrations.chat.tests import test_out_support as support
from integrations.chat.tests.test_out_support import BOT, CHANNEL, SIGNING, TEAM
from plum.core.keys import unseal
from plum.core.timefmt import iso
from users.tests.factories import EmployeeFactory

_loopback = support._loopback  # autouse: 127.0.0.0/8 allowed, Slack's API on the local server

pytestmark = pytest.mark.django_db
BASE = "/api/v1/integrations/notifications/"
SECRET_VALUES = (BOT, SIGNING, "hooks.slack.com", "c2VjcmV0", "/services/")
APP = {"kind": "slack_app", "events": ["points_request.credited"], "bot_token": BOT, "signing_secret": SIGNING}
APP |= {"team_id": TEAM, "slack_channel_id": CHANNEL}
WEBHOOK = {"kind": "slack_webhook", "events": ["points_request.credited"]}
WEBHOOK |= {"webhook_url": "https://93.184.215.14/services/T0/B0/x"}


@pytest.fixture(autouse=True)
def public_only(settings, _loopback):  # after it: only the test message calls the local server
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def document(channel: Channel) -> dict:
    channel.refresh_from_db()
    return {
        "id": str(channel.pk),
        "kind": channel.kind,
        "events": channel.events,
        "target": channel.target,
        "approvers": channel.approvers,
        "templates": channel.templates,
        "active": channel.active,
        "disabled_reason": channel.disabled_reason,
        "team_id": channel.team_id,
        "slack_channel_id": channel.slack_channel_id,
        "created_at": iso(channel.created_at),
        "updated_at": iso(channel.updated_at),
    }


def snapshot() -> list:
    return list(Channel.objects.order_by("pk").values_list()) + list(SlackTeam.objects.values_list())


def no_secret_in(response) -> None:
    text = response.content.decode()
    assert not any(value in text for value in SECRET_VALUES), text


def errors(response) -> list[tuple]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def test_create_a_slack_app_channel_seals_its_secrets_and_never_answers_them(api, tenant):
    response = api.post(BASE, APP, format="json")
    assert response.status_code == 201, response.content
    channel = Channel.objects.get()
    assert response.json() == document(channel)
    assert response.json()["kind"] == "slack_app" and response.json()["team_id"] == TEAM
    no_secret_in(response)
    organisation = tenant.organisation.pk
    assert unseal(channel.bot_token_sealed, organisation) == BOT
    assert unseal(channel.signing_secret_sealed, organisation) == SIGNING
    assert BOT.encode() not in bytes(channel.bot_token_sealed)
    assert SlackTeam.objects.get().organisation_id == organisation
    for answer in (api.get(BASE), api.get(f"{BASE}{channel.pk}/")):
        assert answer.status_code == 200
        no_secret_in(answer)
    assert api.get(BASE).json() == {"results": [document(channel)], "next": None, "previous": None}


def test_create_a_teams_channel_with_templates_and_approvers(api, tenant):
    EmployeeFactory(organisation=tenant.organisation, employee_id="MGR-1")
    body = {
        "kind": "teams_workflow",
        "events": ["points_request.credited", "hrms_sync.completed", "points_request.credited"],
        "webhook_url": "https://93.184.215.14/workflows/abc",
        "outgoing_secret": "c2VjcmV0",
        "approvers": ["MGR-1"],
        "templates": {"points_request.credited": "Bravo {employee}! +{points} ({reason})"},
    }
    response = api.post(BASE, body, format="json")
    assert response.status_code == 201, response.content
    channel = Channel.objects.get()
    assert response.json() == document(channel)
    assert channel.events == ["points_request.credited", "hrms_sync.completed"]
    assert unseal(channel.outgoing_secret_sealed, tenant.organisation.pk) == "c2VjcmV0"
    no_secret_in(response)


# What the service checks (each kind's fields, Slack ids' shapes, template placeholders) is 422
# invalid_channel; what the schema states is 400 validation_error.
SERVICE_REFUSALS = [
    ({"kind": "slack_webhook", "events": ["points_request.credited"]}, [("webhook_url", "required")]),
    ({**APP, "bot_token": None} | {"bot_token": "xoxp-user"}, [("bot_token", "invalid")]),
    ({k: v for k, v in APP.items() if k != "slack_channel_id"}, [("slack_channel_id", "required")]),
    (
        {k: v for k, v in APP.items() if k not in ("team_id", "signing_secret")},
        [("signing_secret", "required"), ("team_id", "required")],
    ),
    ({**WEBHOOK, "target": "employee"}, [("target", "invalid")]),
    ({**WEBHOOK, "bot_token": BOT}, [("bot_token", "invalid")]),
    (
        {**WEBHOOK, "templates": {"points_request.credited": "{employee.__class__}"}},
        [("templates.points_request.credited", "unknown_placeholder")],
    ),
    (
        {**WEBHOOK, "templates": {"points_request.credited": "{voucher_code} {"}},
        [
            ("templates.points_request.credited", "unknown_placeholder"),
            ("templates.points_request.credited", "unknown_placeholder"),
        ],
    ),
    ({**WEBHOOK, "templates": {"nope": "x"}}, [("templates.nope", "unknown_event_type")]),
]
SCHEMA_REFUSALS = [
    ({**WEBHOOK, "events": ["nope"]}, [("events[0]", "unknown_event_type")]),
    ({**WEBHOOK, "events": []}, [("events", "invalid")]),
    ({**WEBHOOK, "kind": "irc"}, [("kind", "invalid")]),
    ({**WEBHOOK, "webhook_url": "not a url"}, [("webhook_url", "invalid")]),
    (
        {
            "kind": "teams_workflow",
            "events": ["voucher.issued"],
            "webhook_url": "https://93.184.215.14/w",
            "outgoing_secret": "***",
        },
        [("outgoing_secret", "invalid")],
    ),
    ({**WEBHOOK, "colour": "red"}, [("colour", "unknown_field")]),
]


@pytest.mark.parametrize(
    ("body", "expected", "status", "code"),
    [(*row, 422, "invalid_channel") for row in SERVICE_REFUSALS]
    + [(*row, 400, "validation_error") for row in SCHEMA_REFUSALS],
)
def test_invalid_channels_are_refused_with_field_errors_and_nothing_saved(api, body, expected, status, code):
    before = snapshot()
    response = api.post(BASE, body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert errors(response) == expected
    assert snapshot() == before


def test_an_unknown_approver_is_422(api):
    response = api.post(BASE, {**WEBHOOK, "approvers": ["GHOST"]}, format="json")
    assert (response.status_code, response.json()["code"]) == (422, "approver_not_found")
    assert errors(response) == [("approvers[0]", "approver_not_found")]
    assert Channel.objects.count() == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://169.254.169.254/latest", "http://10.0.0.5/x"])
def test_a_webhook_url_the_guard_refuses_is_422_url_not_allowed(api, url):
    response = api.post(BASE, {**WEBHOOK, "webhook_url": url}, format="json")
    assert (response.status_code, response.json()["code"]) == (422, "url_not_allowed")
    assert Channel.objects.count() == 0


def test_a_workspace_of_another_organisation_is_409_and_the_same_one_may_reuse_it(api, other_tenant):
    assert other_tenant.api().post(BASE, APP, format="json").status_code == 201
    before = snapshot()
    response = api.post(BASE, APP, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "team_id_taken")
    assert snapshot() == before
    assert other_tenant.api().post(BASE, {**APP, "target": "employee"}, format="json").status_code == 201


def test_deleting_the_last_channel_releases_the_workspace(api, other_tenant):
    created = other_tenant.api().post(BASE, APP, format="json").json()
    assert other_tenant.api().delete(f"{BASE}{created['id']}/").status_code == 204
    assert SlackTeam.objects.count() == 0
    assert api.post(BASE, APP, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_organisations_racing_for_one_workspace_one_wins(tenant, other_tenant):
    barrier, codes = threading.Barrier(2), []

    def create(who):
        client = who.api()
        barrier.wait()
        try:
            codes.append(client.post(BASE, APP, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(who,)) for who in (tenant, other_tenant)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(codes) == [201, 409]
    assert Channel.objects.count() == 1
    assert SlackTeam.objects.get().organisation_id == Channel.objects.get().organisation_id


def test_patch_changes_what_is_sent_and_replaces_a_secret(api, tenant):
    channel_id = api.post(BASE, APP, format="json").json()["id"]
    response = api.patch(
        f"{BASE}{channel_id}/", {"bot_token": "xoxb-new-1", "events": ["voucher.issued"]}, format="json"
    )
    assert response.status_code == 200, response.content
    channel = Channel.objects.get()
    assert response.json() == document(channel) and channel.events == ["voucher.issued"]
    assert unseal(channel.bot_token_sealed, tenant.organisation.pk) == "xoxb-new-1"
    assert "xoxb-new-1" not in response.content.decode()
    # target employee needs no Slack channel; kind cannot change
    assert (
        api.patch(f"{BASE}{channel_id}/", {"target": "employee", "slack_channel_id": ""}, format="json").status_code
        == 200
    )
    before = snapshot()
    response = api.patch(f"{BASE}{channel_id}/", {"kind": "teams_workflow"}, format="json")
    assert (response.status_code, errors(response)) == (400, [("kind", "unknown_field")])
    assert snapshot() == before


def test_patch_active_true_clears_disabled_reason(api, tenant):
    channel_id = api.post(BASE, WEBHOOK, format="json").json()["id"]
    Channel.objects.filter(pk=channel_id).update(active=False, disabled_reason="Slack answered 410")
    response = api.patch(f"{BASE}{channel_id}/", {"active": True}, format="json")
    assert (response.json()["active"], response.json()["disabled_reason"]) == (True, "")


def test_create_replays_with_the_same_idempotency_key(api):
    first = api.post(BASE, WEBHOOK, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(BASE, WEBHOOK, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = api.post(BASE, {**WEBHOOK, "events": ["voucher.issued"]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Channel.objects.count() == 1


@pytest.mark.parametrize("query", ["?kind=slack_app", "?page_size=abc", "?active=true"])
def test_unknown_or_bad_query_parameters_are_400(api, query):
    api.post(BASE, WEBHOOK, format="json")
    assert api.get(BASE + query).status_code == 400


def test_another_organisations_channel_is_404_and_untouched(api, other_tenant):
    channel_id = other_tenant.api().post(BASE, WEBHOOK, format="json").json()["id"]
    before = snapshot()
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "test/")]:
        response = getattr(api, method)(
            f"{BASE}{channel_id}/{path}", {"active": False} if method == "patch" else None, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (404, "channel_not_found")
    assert api.get(BASE).json()["results"] == []
    assert snapshot() == before and Notification.objects.count() == 0


@pytest.mark.parametrize("scopes", [(), ("points:read", "points:write")])
def test_without_integrations_manage_every_call_is_refused(tenant, scopes):
    client = tenant.api(scopes=scopes)
    assert client.get(BASE).status_code == 403
    assert client.post(BASE, WEBHOOK, format="json").status_code == 403
    assert Channel.objects.count() == 0


def test_the_test_message_is_sent_now_and_answered(api, settings, httpserver):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    httpserver.expect_request("/hook", method="POST").respond_with_response(Response("ok"))
    channel_id = api.post(BASE, {**WEBHOOK, "webhook_url": httpserver.url_for("/hook")}, format="json").json()["id"]
    response = api.post(f"{BASE}{channel_id}/test/", format="json")
    assert response.status_code == 200, response.content
    notification = Notification.objects.get()
    body = response.json()
    assert body == {
        "id": str(notification.pk),
        "channel_id": channel_id,
        "event_id": str(notification.event_id),
        "event_type": "notification.test",
        "state": "sent",
        "attempts": 1,
        "last_status_code": 200,
        "last_error": "",
        "next_attempt_at": None,
        "created_at": iso(notification.created_at),
        "sent_at": iso(notification.sent_at),
    }
    [(request, _)] = httpserver.log
    assert request.get_json()["text"] == "A test message from Plum: this channel receives its notifications."


def test_the_test_message_of_a_disabled_channel_is_409(api):
    channel_id = api.post(BASE, {**WEBHOOK, "active": False}, format="json").json()["id"]
    response = api.post(f"{BASE}{channel_id}/test/", format="json")
    assert (response.status_code, response.json()["code"]) == (409, "channel_inactive")
    assert Notification.objects.count() == 0


def test_a_test_to_an_employee_channel_needs_the_employee(api):
    channel_id = api.post(BASE, {**APP, "target": "employee"}, format="json").json()["id"]
    response = api.post(f"{BASE}{channel_id}/test/", format="json")
    assert (response.status_code, errors(response)) == (400, [("employee_id", "required")])
    response = api.post(f"{BASE}{channel_id}/test/", {"employee_id": "GHOST"}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "employee_not_found")
    assert Notification.objects.count() == 0
