"""/plum balance and /plum history: verified with the workspace's signing secret (v0, 5 minutes), answered
at once, ephemeral, the caller's own wallet exactly as the wallet API shows it; unknown callers and unknown
sub-commands learn nothing; one organisation's secret never reads another's wallets."""

import time

import pytest
from django.test import Client

from integrations.chat.models import Channel
from integrations.chat.tests.inbound_support import (
    COMMANDS,
    add_channel,
    command_body,
    make_org,
    post_slack,
    slack_headers,
    slash,
)
from points.commands import PointsRequestCommand, ProgrammeCommand
from points.services import points_request_submit, programme_create
from points.tests.ledger_support import topup
from tests.support import assert_problem
from users.models import Employee, Organisation

pytestmark = pytest.mark.django_db
NOT_LINKED = (
    "Your Slack account is not linked to Plum yet, so there is nothing to show. Ask your Plum administrator "
    "to add your Slack member ID to your employee record."
)


@pytest.fixture
def org(make_tenant):
    return make_org(make_tenant)


def answered(response, text: str) -> None:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def test_balance_answers_the_wallet_as_the_wallet_api_shows_it_and_what_expires(org):
    org.submit("R-1", 60)
    org.submit("R-2", 40)
    wallet = org.wallet()
    assert wallet["balance"] == 100
    assert [e["points"] for e in wallet["expiring"]] == [60, 40]  # 30 days' validity: both expire soon
    (day,) = {e["expires_at"][:10] for e in wallet["expiring"]}

    answered(slash(org, "U0RECIPIENT", "balance"), f"*Your Plum balance: 100 points*\n• 100 points expire on {day}")


def test_points_expiring_later_count_in_the_balance_but_not_as_expiring_soon(org):
    programme_create(
        actor=org.actor, command=ProgrammeCommand.parse({"code": "LONG", "name": "Long", "points_validity_days": 200})
    )
    topup(org.actor, "LONG", 1000)
    org.submit("R-1", 30)
    data = {"request_id": "R-2", "employee_id": "E1", "points": 70, "programme": "LONG"}
    points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(data))
    wallet = org.wallet()
    assert (wallet["balance"], [e["points"] for e in wallet["expiring"]]) == (100, [30])

    day = wallet["expiring"][0]["expires_at"][:10]
    answered(slash(org, "U0RECIPIENT", "balance"), f"*Your Plum balance: 100 points*\n• 30 points expire on {day}")


def test_balance_of_a_wallet_that_never_moved_is_zero_and_nothing_expires(org):
    answered(
        slash(org, "U0STRANGER", "  BALANCE  "),
        "*Your Plum balance: 0 points*\n• Nothing expires in the next 90 days.",
    )


def test_history_is_the_last_five_ledger_lines_newest_first(org):
    for n in range(7):
        org.submit(f"R-{n}", 10 + n)
    lines = org.lines()[:5]
    assert [line["reference"] for line in lines] == ["R-6", "R-5", "R-4", "R-3", "R-2"]

    shown = "\n".join(
        f"• {line['created_at'][:10]} +{line['points']} points, award, ref {line['reference']}, "
        f"balance {line['balance_after']}"
        for line in lines
    )
    answered(slash(org, "U0RECIPIENT", "history"), f"*Your last 5 Plum ledger lines, newest first*\n{shown}")


def test_history_escapes_what_a_client_wrote(org):
    org.submit("<!channel>&*x*", 5)
    day = org.lines()[0]["created_at"][:10]
    answered(
        slash(org, "U0RECIPIENT", "history"),
        f"*Your last 1 Plum ledger lines, newest first*\n• {day} +5 points, award, ref &lt;!channel&gt;&amp;*x*, "
        "balance 5",
    )


def test_history_of_a_wallet_that_never_moved(org):
    answered(slash(org, "U0STRANGER", "history"), "*Your Plum history*\nNo points have moved yet.")


@pytest.mark.parametrize("user_id", ["U0NOBODY", "", "u0recipient"])
def test_an_unknown_caller_is_told_the_account_is_not_linked_and_nothing_else(org, user_id):
    org.submit("R-1", 77)
    for text in ("balance", "history"):
        answered(slash(org, user_id, text), NOT_LINKED)


def test_an_inactive_employee_is_not_linked_and_two_with_one_slack_id_are_neither(org):
    org.submit("R-1", 77)
    Employee.objects.filter(employee_id="E1").update(status="inactive")
    answered(slash(org, "U0RECIPIENT", "balance"), NOT_LINKED)
    Employee.objects.filter(employee_id="E1").update(status="active")
    Employee.objects.filter(employee_id="E4").update(slack_user_id="U0RECIPIENT")  # a mix-up in the HR data
    answered(slash(org, "U0RECIPIENT", "balance"), NOT_LINKED)


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("", ""),
        ("help", "Plum does not know `help`.\n"),
        ("<!here> `x` & co", "Plum does not know `&lt;!here&gt;`.\n"),
    ],
)
def test_an_unknown_sub_command_answers_help_escaped(org, text, first_line):
    answered(
        slash(org, "U0NOBODY", text),
        f"{first_line}*Plum commands*\n• `/plum balance`: your points, and what expires soon\n"
        "• `/plum history`: your last 5 ledger lines, newest first",
    )


def signature_cases(org, body: bytes) -> dict:
    good = slack_headers(org.signing_secret, body)
    return {
        "no headers": {},
        "no signature": {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
        "no timestamp": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "another secret": slack_headers("0" * 32, body),
        "stale": slack_headers(org.signing_secret, body, timestamp=time.time() - 301),
        "from the future": slack_headers(org.signing_secret, body, timestamp=time.time() + 301),
        "timestamp not a number": {**good, "X-Slack-Request-Timestamp": "soon"},
        "timestamp changed": {**good, "X-Slack-Request-Timestamp": str(int(good["X-Slack-Request-Timestamp"]) - 1)},
        "v1 scheme": {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
    }


@pytest.mark.parametrize(
    "case",
    [
        "no headers",
        "no signature",
        "no timestamp",
        "another secret",
        "stale",
        "from the future",
        "timestamp not a number",
        "timestamp changed",
        "v1 scheme",
    ],
)
def test_a_bad_missing_or_stale_signature_is_401_and_shows_nothing(org, case):
    org.submit("R-1", 77)
    body = command_body(org, "U0RECIPIENT", "balance")
    response = post_slack(COMMANDS, body, headers=signature_cases(org, body)[case])
    problem = assert_problem(response, 401, "invalid_signature")
    assert "77" not in str(problem)


def test_a_tampered_body_is_401(org):
    body = command_body(org, "U0RECIPIENT", "balance")
    headers = slack_headers(org.signing_secret, body)
    assert_problem(
        post_slack(COMMANDS, body.replace(b"U0RECIPIENT", b"U0MANAGER"), headers=headers), 401, "invalid_signature"
    )


def test_a_body_that_is_not_utf8_is_401(org):
    body = command_body(org, "U0RECIPIENT", "balance") + b"&text=%FF\xff"
    assert_problem(post_slack(COMMANDS, body, org.signing_secret), 401, "invalid_signature")


def test_an_inactive_channel_or_organisation_verifies_nothing(org):
    Channel.objects.filter(pk=org.slack.pk).update(active=False)
    assert_problem(slash(org, "U0RECIPIENT", "balance"), 401, "invalid_signature")
    Channel.objects.filter(pk=org.slack.pk).update(active=True)
    Organisation.objects.filter(pk=org.id).update(is_active=False)
    assert_problem(slash(org, "U0RECIPIENT", "balance"), 401, "invalid_signature")


def test_a_second_slack_channel_of_the_workspace_verifies_with_its_own_secret(org):
    add_channel(org.id, kind=Channel.Kind.SLACK_WEBHOOK, team_id=org.team_id, signing_secret="s" * 32, webhook_url="x")
    org.submit("R-1", 12)
    body = command_body(org, "U0RECIPIENT", "balance")
    assert post_slack(COMMANDS, body, "s" * 32).json()["text"].startswith("*Your Plum balance: 12 points*")
    assert post_slack(COMMANDS, body, org.signing_secret).json()["text"].startswith("*Your Plum balance: 12 points*")


def test_one_organisations_secret_never_reads_anothers_wallets(make_tenant):
    acme = make_org(make_tenant, team_id="T0ACME")
    globex = make_org(make_tenant, team_id="T0GLOBEX")  # the same Slack user ids, another workspace
    acme.submit("R-1", 11)
    globex.submit("R-1", 22)

    assert slash(acme, "U0RECIPIENT", "balance").json()["text"].startswith("*Your Plum balance: 11 points*")
    assert slash(globex, "U0RECIPIENT", "balance").json()["text"].startswith("*Your Plum balance: 22 points*")
    # acme's secret naming globex's workspace, and globex's secret naming acme's
    for signer, named in ((acme, globex), (globex, acme)):
        body = command_body(signer, "U0RECIPIENT", "balance", team_id=named.team_id)
        problem = assert_problem(post_slack(COMMANDS, body, signer.signing_secret), 401, "invalid_signature")
        assert "22" not in str(problem) and "11" not in str(problem)
    # a workspace no organisation names
    body = command_body(acme, "U0RECIPIENT", "balance", team_id="T0NOBODY")
    assert_problem(post_slack(COMMANDS, body, acme.signing_secret), 401, "invalid_signature")


def test_slacks_certificate_check_is_acknowledged_and_reads_nothing(org):
    response = post_slack(COMMANDS, b"ssl_check=1&token=deprecated-verification-token", headers={})
    assert (response.status_code, response.json()) == (200, {})


def test_an_empty_body_is_401_and_only_post_is_answered(org):
    assert_problem(post_slack(COMMANDS, b"", org.signing_secret), 401, "invalid_signature")
    assert Client().get(COMMANDS).status_code == 405
