"""`plum_programme_topup SLUG CODE POINTS`: funds a budget from the funding account, refuses bad input clearly."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from points.models import LedgerEntry, LedgerTransaction
from points.tests.factories import budget, make_programme, points_nothing_changes


def test_topup_moves_points_from_the_funding_account(tenant):
    make_programme(tenant, "P1", budget=100)
    out = StringIO()

    call_command("plum_programme_topup", "acme", "P1", "2500", stdout=out)

    assert out.getvalue().strip() == "Added 2500 points to P1 in acme; its budget is now 2600 points."
    assert budget(tenant) == 2_600
    txn = LedgerTransaction.objects.filter(kind="topup").latest("created_at")
    assert (txn.reference, txn.memo) == ("topup:P1", "Top-up by plum_programme_topup")
    funding = LedgerEntry.objects.get(transaction=txn, account__kind="funding")
    assert (funding.amount, funding.balance_after) == (-2_500, -2_600)


def test_topup_json(tenant):
    make_programme(tenant, "P1")
    out = StringIO()
    call_command("plum_programme_topup", "acme", "P1", "7", "--memo", "Q3 budget", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    txn = LedgerTransaction.objects.get(kind="topup")
    assert printed == {
        "organisation": "acme",
        "programme": "P1",
        "points": 7,
        "budget_balance": 7,
        "transaction_id": str(txn.id),
    }
    assert txn.memo == "Q3 budget"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "P1", "10"], "No organisation with slug 'nobody'."),
        (["acme", "NOPE", "10"], "No programme 'NOPE'."),
        (["globex", "P1", "10"], "No programme 'P1'."),  # acme's P1 is not globex's
        (["acme", "P1", "0"], r"The input is not valid. \(points: A whole number from 1 to 2000000000.\)"),
        (["acme", "P1", "-5"], r"The input is not valid. \(points: A whole number from 1 to 2000000000.\)"),
        (["acme", "P1", "ten"], "argument points: invalid int value: 'ten'"),
        (["acme\x00", "P1", "10"], "No organisation with slug"),
        (["acme", "P\x00", "10"], "No programme"),
        (["acme", "P1", "10", "--memo", "x\x00"], r"\(memo: Text without NUL characters.\)"),
    ],
)
def test_topup_refuses_bad_input_and_changes_nothing(tenant, other_tenant, args, message):
    make_programme(tenant, "P1", budget=100)
    with points_nothing_changes(), pytest.raises(CommandError, match=message):
        call_command("plum_programme_topup", *args)
