"""Approve and Reject buttons: verified like commands; the click counts for the channel's approvers or, when it
lists none, the recipient's manager, never the recipient; it runs the points services REST runs, and Slack's
response_url (a real HTTP server here) gets the outcome replacing the message, or an ephemeral refusal while
nothing changes."""

import pytest

from integrations.chat.models import Channel, Notification
from integrations.chat.tests import inbound_support
from integrations.chat.tests.inbound_support import (
    INTERACTIONS,
    add_channel,
    click_body,
    everything,
    make_org,
    post_slack,
    received,
    response_url,
    slack_headers,
)
from points.models import LedgerTransaction, PointsRequest, Programme
from tests.support import assert_problem

slack_receiver = inbound_support.slack_receiver  # the shared fixture
pytestmark = pytest.mark.django_db
APPROVE, REJECT = "points_request.approve", "points_request.reject"
PROGRAMME = "Kudos &amp; &lt;Thanks&gt;"  # the programme's name, escaped


@pytest.fixture
def click(slack_receiver, django_capture_on_commit_callbacks):
    """Click as `user_id` in org's workspace; answers the HTTP response; Slack's response_url is served."""

    def do(org, user_id, action_id, value, **where):
        body = click_body(org, user_id, action_id, str(value), response_url(slack_receiver), **where)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_slack(INTERACTIONS, body, org.signing_secret)
        assert response.status_code == 200 and response.content == b""
        return response

    return do


def outcome(text: str) -> dict:
    return {
        "replace_original": True,
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def refused(verb: str = "approve") -> str:
    return (
        f"You may not {verb} this request: only the channel's approvers may (or, when it lists none, the "
        "recipient's manager)."
    )


def test_a_listed_approver_approves_the_request_is_credited_and_the_message_says_so(make_tenant, click, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500, reason="Shipped <the> release & more")
    assert pending.status == "pending_approval"

    click(org, "U0APPROVER", APPROVE, pending.pk)

    pending.refresh_from_db()
    assert (pending.status, pending.balance_after, pending.decided_by) == (
        "credited",
        500,
        "slack:U0APPROVER (employee E3)",
    )
    assert org.wallet()["balance"] == 500
    assert received(slack_receiver) == [
        outcome(
            f"500 points for Ravi Example in {PROGRAMME} were *approved* by <@U0APPROVER>.\n"
            "Reason: Shipped &lt;the&gt; release &amp; more"
        )
    ]
    # the same answer REST gives for the request now
    assert org.tenant.api().get(f"/api/v1/points/requests/{pending.pk}/").json()["status"] == "credited"


def test_with_no_approvers_listed_the_recipients_manager_approves(make_tenant, click, slack_receiver):
    org = make_org(make_tenant)
    pending = org.submit("R-1", 300)

    click(org, "U0MANAGER", APPROVE, pending.pk)

    pending.refresh_from_db()
    assert pending.status == "credited"
    assert LedgerTransaction.objects.filter(organisation_id=org.id, kind="award").count() == 1
    assert received(slack_receiver) == [
        outcome(f"300 points for Ravi Example in {PROGRAMME} were *approved* by <@U0MANAGER>.")
    ]


def test_an_approver_rejects_nothing_is_credited(make_tenant, click, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    before = LedgerTransaction.objects.count()

    click(org, "U0APPROVER", REJECT, pending.pk)

    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert LedgerTransaction.objects.count() == before and org.wallet()["balance"] == 0
    assert received(slack_receiver) == [
        outcome(f"500 points for Ravi Example in {PROGRAMME} were *rejected* by <@U0APPROVER>.")
    ]


@pytest.mark.parametrize(
    ("approvers", "user_id", "action_id", "answer"),
    [
        ([], "U0RECIPIENT", APPROVE, "You cannot approve your own points request."),
        (["E1", "E3"], "U0RECIPIENT", APPROVE, "You cannot approve your own points request."),
        (["E3"], "U0RECIPIENT", REJECT, "You cannot reject your own points request."),
        ([], "U0STRANGER", APPROVE, refused()),
        ([], "U0APPROVER", APPROVE, refused()),
        (["E3"], "U0MANAGER", APPROVE, refused()),  # approvers listed: the manager is not one
        (["E3"], "U0STRANGER", REJECT, refused("reject")),
        (["E3"], "U0NOBODY", APPROVE, None),
    ],
)
def test_anyone_else_gets_an_ephemeral_refusal_and_nothing_changes(
    make_tenant,
    click,
    slack_receiver,
    approvers,
    user_id,
    action_id,
    answer,
):
    org = make_org(make_tenant, approvers=approvers)
    pending = org.submit("R-1", 500)
    before = everything()

    click(org, user_id, action_id, pending.pk)

    assert everything() == before  # still pending, no ledger lines, no outbox events
    assert PointsRequest.objects.get(pk=pending.pk).status == "pending_approval"
    not_linked = (
        "Your Slack account is not linked to Plum yet, so there is nothing to show. Ask your Plum administrator "
        "to add your Slack member ID to your employee record."
    )
    assert received(slack_receiver) == [ephemeral(answer or not_linked)]


def test_a_decided_request_answers_already_decided_and_changes_nothing(make_tenant, click, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    click(org, "U0APPROVER", APPROVE, pending.pk)
    before = everything()

    click(org, "U0APPROVER", APPROVE, pending.pk)
    click(org, "U0APPROVER", REJECT, pending.pk)

    assert everything() == before
    assert received(slack_receiver)[1:] == [
        ephemeral("This request was already approved."),
        ephemeral("This request was already approved."),
    ]


def test_a_refusal_of_the_points_service_is_told_and_nothing_changes(make_tenant, click, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    Programme.objects.filter(organisation_id=org.id).update(status="inactive")
    before = everything()

    click(org, "U0APPROVER", APPROVE, pending.pk)

    assert everything() == before
    assert received(slack_receiver) == [ephemeral("Plum could not approve this request: The programme is inactive.")]


def test_an_unknown_or_another_organisations_request_is_not_found_and_untouched(make_tenant, click, slack_receiver):
    acme = make_org(make_tenant, team_id="T0ACME", approvers=["E3"])
    globex = make_org(make_tenant, team_id="T0GLOBEX", approvers=["E3"])
    theirs = globex.submit("R-1", 500)
    before = everything()

    click(acme, "U0APPROVER", APPROVE, theirs.pk)  # acme's approver, acme's workspace, globex's request id
    click(acme, "U0APPROVER", APPROVE, "not-a-uuid")

    assert everything() == before
    assert received(slack_receiver) == [ephemeral("This points request is not in Plum any more.")] * 2


def test_a_bad_signature_is_401_and_nothing_is_decided_or_sent(make_tenant, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    before = everything()
    body = click_body(org, "U0APPROVER", APPROVE, str(pending.pk), response_url(slack_receiver))
    for headers in ({}, slack_headers("0" * 32, body), slack_headers(org.signing_secret, body, timestamp=1)):
        assert_problem(post_slack(INTERACTIONS, body, headers=headers), 401, "invalid_signature")
    # signed by acme's secret for another workspace's team id
    other = click_body(org, "U0APPROVER", APPROVE, str(pending.pk), response_url(slack_receiver), team_id="T0OTHER")
    assert_problem(post_slack(INTERACTIONS, other, org.signing_secret), 401, "invalid_signature")
    # no payload at all: no workspace to verify with
    assert_problem(post_slack(INTERACTIONS, b"payload=%7Bnot+json", org.signing_secret), 401, "invalid_signature")

    assert everything() == before
    assert received(slack_receiver) == []


def test_other_interactions_are_acknowledged_and_change_nothing(make_tenant, click, slack_receiver):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    before = everything()

    click(org, "U0APPROVER", "something.else", pending.pk)

    assert everything() == before
    assert received(slack_receiver) == []


def test_the_channel_clicked_in_decides_whose_approval_counts(make_tenant, click, slack_receiver):
    """Two channels of the workspace: approvals in C0PLUMAPPR (approver E3) and in C0OTHER (approver E4)."""
    org = make_org(make_tenant, approvers=["E3"])
    add_channel(
        org.id,
        kind=Channel.Kind.SLACK_APP,
        team_id=org.team_id,
        slack_channel_id="C0OTHER",
        approvers=["E4"],
        signing_secret=org.signing_secret,
        bot_token="xoxb-other",
    )
    pending = org.submit("R-1", 500)
    before = everything()

    click(org, "U0APPROVER", APPROVE, pending.pk, channel_id="C0OTHER")
    assert everything() == before
    click(org, "U0STRANGER", APPROVE, pending.pk, channel_id="C0OTHER")

    assert PointsRequest.objects.get(pk=pending.pk).status == "credited"
    assert [m.get("replace_original") for m in received(slack_receiver)] == [False, True]


def test_a_message_posted_for_a_channel_is_decided_by_that_channels_approvers(make_tenant, click, slack_receiver):
    """A direct message (no slack_channel_id matches it) is traced to its notification by message_ref."""
    org = make_org(make_tenant, approvers=["E3"])
    dm = add_channel(
        org.id,
        kind=Channel.Kind.SLACK_APP,
        team_id=org.team_id,
        target="employee",
        approvers=["E4"],
        signing_secret=org.signing_secret,
        bot_token="xoxb-dm",
    )
    pending = org.submit("R-1", 500)
    Notification.objects.create(
        organisation_id=org.id,
        channel=dm,
        event_id=pending.pk,
        event_type="points_request.pending_approval",
        data={},
        state="sent",
        message_ref={"channel": "D0STRANGER", "ts": "1700000099.000100"},
        created_at=pending.created_at,
    )
    where = {"channel_id": "D0STRANGER", "message_ts": "1700000099.000100"}
    before = everything()

    click(org, "U0APPROVER", APPROVE, pending.pk, **where)  # E3 approves in the other channel, not this one
    assert everything() == before
    click(org, "U0STRANGER", APPROVE, pending.pk, **where)

    assert PointsRequest.objects.get(pk=pending.pk).status == "credited"
    assert [m.get("replace_original") for m in received(slack_receiver)] == [False, True]


def test_a_response_url_slack_refuses_leaves_the_decision_standing(
    make_tenant, httpserver, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    httpserver.expect_request("/expired", method="POST").respond_with_data("expired_url", status=404)
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    body = click_body(org, "U0APPROVER", APPROVE, str(pending.pk), httpserver.url_for("/expired"))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_slack(INTERACTIONS, body, org.signing_secret).status_code == 200
    assert PointsRequest.objects.get(pk=pending.pk).status == "credited"
    assert len(httpserver.log) == 1
