"""Teams outgoing webhook: `Authorization: HMAC …` over the raw body with the channel's outgoing secret; an
unknown, inactive or unsigned channel is the same 401; mentions are stripped before the command is read;
`balance` answers the caller's own wallet."""

import base64
import uuid

import pytest

from integrations.chat.models import Channel
from integrations.chat.tests.inbound_support import (
    add_channel,
    make_org,
    post_teams,
    teams_authorization,
    teams_body,
)
from tests.support import assert_problem
from users.models import Organisation

pytestmark = pytest.mark.django_db
HELP = "Mention Plum with **balance** to see your points and what expires soon."
NOT_LINKED = (
    "Your Teams account is not linked to Plum yet, so there is nothing to show. Ask your Plum administrator "
    "to add your Microsoft Entra object ID to your employee record."
)


@pytest.fixture
def org(make_tenant):
    return make_org(make_tenant)


def replied(response, text: str) -> None:
    assert response.status_code == 200, response.content
    assert response.json() == {"type": "message", "text": text}


@pytest.mark.parametrize(
    "text",
    [
        "<at>Plum</at> balance",
        "<at>Plum</at>&nbsp;Balance\n",
        '<p><at id="0">Plum Rewards</at> <b>BALANCE</b> please</p>',
        "balance",
    ],
)
def test_balance_answers_the_callers_wallet_once_mentions_are_stripped(org, text):
    org.submit("R-1", 60)
    org.submit("R-2", 25)
    wallet = org.wallet()
    (day,) = {e["expires_at"][:10] for e in wallet["expiring"]}
    body = teams_body("aad-recipient", text)
    replied(
        post_teams(org.teams.pk, body, org.outgoing_secret),
        f"Your Plum balance: 85 points\n\n85 points expire on {day}",
    )


def test_a_wallet_that_never_moved(org):
    body = teams_body("aad-stranger", "<at>Plum</at> balance")
    replied(
        post_teams(org.teams.pk, body, org.outgoing_secret),
        "Your Plum balance: 0 points\n\nNothing expires in the next 90 days.",
    )


@pytest.mark.parametrize("aad_object_id", ["aad-nobody", None, ""])
def test_an_unknown_caller_is_told_the_account_is_not_linked(org, aad_object_id):
    org.submit("R-1", 60)
    replied(
        post_teams(org.teams.pk, teams_body(aad_object_id, "<at>Plum</at> balance"), org.outgoing_secret), NOT_LINKED
    )


@pytest.mark.parametrize(
    "text", ["<at>Plum</at>", "<at>Plum</at> history", "<at>balance</at>", "", "what is my balance"]
)
def test_anything_else_answers_help(org, text):
    org.submit("R-1", 60)
    replied(post_teams(org.teams.pk, teams_body("aad-recipient", text), org.outgoing_secret), HELP)


def test_a_body_that_is_not_an_activity_answers_help(org):
    for body in (b"[1, 2]", b"not json"):
        replied(post_teams(org.teams.pk, body, org.outgoing_secret), HELP)


def test_a_bad_or_missing_hmac_is_401(org):
    org.submit("R-1", 60)
    body = teams_body("aad-recipient", "<at>Plum</at> balance")
    good = teams_authorization(org.outgoing_secret, body)
    for authorization in (
        None,
        "",
        "HMAC",
        "HMAC not-base64!",
        good.replace("HMAC ", "Bearer "),
        teams_authorization(base64.b64encode(b"another secret").decode(), body),
        teams_authorization(org.outgoing_secret, body + b" "),
    ):
        problem = assert_problem(post_teams(org.teams.pk, body, authorization=authorization), 401, "invalid_signature")
        assert "60" not in str(problem)
    replied(
        post_teams(org.teams.pk, body, authorization=good.replace("HMAC ", "hmac ")),
        "Your Plum balance: 60 points\n\n" + f"60 points expire on {org.wallet()['expiring'][0]['expires_at'][:10]}",
    )


def test_unknown_inactive_or_other_channels_are_the_same_401(org):
    body = teams_body("aad-recipient", "<at>Plum</at> balance")
    unsigned = add_channel(org.id, kind=Channel.Kind.TEAMS_WORKFLOW, webhook_url="x")
    slack_kind = add_channel(
        org.id, kind=Channel.Kind.SLACK_WEBHOOK, webhook_url="x", outgoing_secret=org.outgoing_secret
    )
    for channel_id in (uuid.uuid4(), "not-a-uuid", unsigned.pk, slack_kind.pk):
        assert_problem(post_teams(channel_id, body, org.outgoing_secret), 401, "invalid_signature")
    Channel.objects.filter(pk=org.teams.pk).update(active=False)
    assert_problem(post_teams(org.teams.pk, body, org.outgoing_secret), 401, "invalid_signature")
    Channel.objects.filter(pk=org.teams.pk).update(active=True)
    Organisation.objects.filter(pk=org.id).update(is_active=False)
    assert_problem(post_teams(org.teams.pk, body, org.outgoing_secret), 401, "invalid_signature")


def test_one_organisations_secret_never_reads_anothers_wallets(make_tenant):
    acme, globex = make_org(make_tenant), make_org(make_tenant)  # the same Teams ids in both
    acme.submit("R-1", 11)
    globex.submit("R-1", 22)
    body = teams_body("aad-recipient", "<at>Plum</at> balance")

    assert post_teams(acme.teams.pk, body, acme.outgoing_secret).json()["text"].startswith("Your Plum balance: 11 ")
    assert post_teams(globex.teams.pk, body, globex.outgoing_secret).json()["text"].startswith("Your Plum balance: 22 ")
    assert_problem(post_teams(globex.teams.pk, body, acme.outgoing_secret), 401, "invalid_signature")
    # a secret sealed for acme, copied onto globex's channel, does not open there
    Channel.objects.filter(pk=globex.teams.pk).update(outgoing_secret_sealed=acme.teams.outgoing_secret_sealed)
    assert_problem(post_teams(globex.teams.pk, body, acme.outgoing_secret), 401, "invalid_signature")
