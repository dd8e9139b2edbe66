"""Campaigns over REST: 202 queued, progress and per-recipient outcomes, replays, 409 and 422 refusals.

These tests run inside a transaction, so on_commit never sends the task: they call campaign_process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plum.core.scopes import Scope
from points.tests.factories import budget, iso, make_programme, seed_employees
from tests.support import assert_problem
from vouchers import services
from vouchers.models import Campaign, Voucher
from vouchers.tests.expected import READ_ONLY, campaign_expected, query_count, results, vouchers_nothing_changes
from vouchers.tests.factories import CAMPAIGNS, VOUCHERS, open_shop

pytestmark = pytest.mark.django_db
UNKNOWN_ID = "01890000-0000-7000-8000-000000000000"


@pytest.fixture
def shop(tenant):
    """E1, E2 active, E3 inactive; P1 holds 10,000 points; the stock product has 1 code of 25."""
    return open_shop(tenant, stock_codes=1, wallet=0)


def campaign_body(shop, campaign_id="C1", product="generated", denomination=10, **fields) -> dict:
    body = {
        "campaign_id": campaign_id,
        "name": "Thank you",
        "product_id": str(getattr(shop.catalogue, product).id),
        "denomination": denomination,
        "programme": "P1",
        "recipients": ["E2", "E1"],
    }
    return body | fields


def create(api, shop, **fields):
    return api.post(CAMPAIGNS, campaign_body(shop, **fields), format="json")


def test_a_campaign_is_queued_with_202_then_issues_one_voucher_per_recipient(api, shop, tenant):
    response = create(api, shop)

    assert response.status_code == 202, response.content
    campaign = Campaign.objects.get(campaign_id="C1")
    assert response.json() == campaign_expected(campaign)
    assert response.json() == {
        "id": str(campaign.id),
        "campaign_id": "C1",
        "name": "Thank you",
        "product_id": str(shop.catalogue.generated.id),
        "denomination": 10,
        "programme": "P1",
        "status": "queued",
        "total": 2,
        "processed": 0,
        "issued": 0,
        "out_of_stock": 0,
        "employee_inactive": 0,
        "budget_exhausted": 0,
        "points_drawn": 0,
        "expires_at": None,
        "last_error": "",
        "created_at": iso(campaign.created_at),
        "started_at": None,
        "completed_at": None,
    }
    assert budget(tenant) == 10_000  # drawn chunk by chunk, when issued

    services.campaign_process(campaign.pk)
    progress = api.get(f"{CAMPAIGNS}{campaign.id}/")

    assert progress.status_code == 200
    assert progress.json() == campaign_expected(campaign)
    assert {k: progress.json()[k] for k in ("status", "processed", "issued", "points_drawn")} == {
        "status": "completed",
        "processed": 2,
        "issued": 2,
        "points_drawn": 240,
    }
    assert budget(tenant) == 10_000 - 240
    vouchers = {v.employee.employee_id: v for v in Voucher.objects.filter(recipient__campaign=campaign)}
    assert results(api.get(f"{CAMPAIGNS}{campaign.id}/recipients/")) == [
        {"index": 0, "employee_id": "E2", "status": "issued", "voucher_id": str(vouchers["E2"].id),
         "processed_at": iso(vouchers["E2"].recipient.processed_at)},
        {"index": 1, "employee_id": "E1", "status": "issued", "voucher_id": str(vouchers["E1"].id),
         "processed_at": iso(vouchers["E1"].recipient.processed_at)},
    ]  # fmt: skip
    listed = results(api.get(VOUCHERS, {"campaign": "C1"}))
    assert sorted((v["employee_id"], v["campaign_id"], v["order_id"]) for v in listed) == [
        ("E1", "C1", None),
        ("E2", "C1", None),
    ]
    assert all(v["code"].startswith("••••") for v in listed)


def test_recipient_outcomes_show_who_got_nothing_and_why(api, shop):
    seed_employees(shop.tenant, "E4")
    response = create(api, shop, product="stock", denomination=25, recipients=["E1", "E3", "E4"])
    campaign = Campaign.objects.get(pk=response.json()["id"])

    services.campaign_process(campaign.pk)

    outcomes = results(api.get(f"{CAMPAIGNS}{campaign.id}/recipients/"))
    assert [(r["index"], r["employee_id"], r["status"], r["voucher_id"] is None) for r in outcomes] == [
        (0, "E1", "issued", False),
        (1, "E3", "employee_inactive", True),
        (2, "E4", "out_of_stock", True),
    ]
    page = api.get(f"{CAMPAIGNS}{campaign.id}/recipients/", {"page_size": 2}).json()
    assert [r["index"] for r in page["results"]] == [0, 1]
    assert [r["index"] for r in results(api.get(page["next"]))] == [2]
    progress = api.get(f"{CAMPAIGNS}{campaign.id}/").json()
    assert (progress["issued"], progress["employee_inactive"], progress["out_of_stock"]) == (1, 1, 1)


def test_a_filter_chooses_the_active_employees(api, shop):
    response = create(api, shop, recipients=None, filter={})
    assert response.status_code == 202, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    services.campaign_process(campaign.pk)
    outcomes = results(api.get(f"{CAMPAIGNS}{campaign.id}/recipients/"))
    assert [(r["employee_id"], r["status"]) for r in outcomes] == [("E1", "issued"), ("E2", "issued")]


def test_a_repeated_campaign_id_replays_200_with_the_campaign_as_it_is_now(api, shop):
    first = create(api, shop, expires_at=(timezone.now() + timedelta(days=30)).isoformat())
    campaign = Campaign.objects.get(pk=first.json()["id"])
    services.campaign_process(campaign.pk)

    with vouchers_nothing_changes():
        again = api.post(CAMPAIGNS, campaign_body(shop, expires_at=first.json()["expires_at"]), format="json")

    assert again.status_code == 200, again.content
    assert again.json() == campaign_expected(campaign)
    assert again.json()["status"] == "completed"


@pytest.mark.parametrize("changed", [{"name": "Other"}, {"recipients": ["E1"]}, {"denomination": 20}])
def test_a_repeated_campaign_id_with_another_body_answers_409(api, shop, changed):
    create(api, shop)
    with vouchers_nothing_changes():
        response = create(api, shop, **changed)
    assert_problem(response, 409, "campaign_id_conflict", [("campaign_id", "campaign_id_conflict")])


@pytest.mark.parametrize(
    ("fields", "code", "errors"),
    [
        ({"recipients": None, "filter": {"country": "ZZ"}}, "no_recipients", [("filter", "no_recipients")]),
        ({"recipients": ["E1", "E9"]}, "employee_not_found", [("recipients[1]", "employee_not_found")]),
        ({"denomination": 20, "programme": "LOW"}, "budget_exhausted", [("programme", "budget_exhausted")]),
        ({"denomination": 30}, "denomination_not_offered", [("denomination", "denomination_not_offered")]),
        ({"product_id": UNKNOWN_ID}, "product_not_found", [("product_id", "product_not_found")]),
        ({"programme": "NOPE"}, "programme_not_found", [("programme", "programme_not_found")]),
    ],
)
def test_a_campaign_that_breaks_a_rule_answers_422_and_stores_nothing(api, shop, fields, code, errors):
    make_programme(shop.tenant, "LOW", budget=300)  # one voucher of 20 (240 points), not two
    with vouchers_nothing_changes():
        response = create(api, shop, **fields)
    assert_problem(response, 422, code, errors)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"recipients": None}, [("recipients", "required")]),
        ({"filter": {}}, [("recipients", "required")]),
        ({"recipients": []}, [("recipients", "invalid")]),
        ({"recipients": ["E1", "E1"]}, [("recipients[1]", "invalid")]),
        ({"recipients": None, "filter": {"colour": "red"}}, [("filter", "invalid")]),
        ({"expires_at": "2000-01-01T00:00:00+00:00"}, [("expires_at", "invalid")]),
        ({"expires_at": "2999-01-01T00:00:00"}, [("expires_at", "invalid")]),
        ({"name": ""}, [("name", "invalid")]),
        ({"campaign_id": None}, [("campaign_id", "required")]),
        ({"colour": "red"}, [("colour", "unknown_field")]),
    ],
)
def test_a_malformed_campaign_answers_400(api, shop, fields, errors):
    with vouchers_nothing_changes():
        response = create(api, shop, **fields)
    assert_problem(response, 400, "validation_error", errors)


def test_campaigns_are_listed_newest_first_in_constant_queries(api, shop, other_tenant):
    create(api, shop, campaign_id="C1")
    one = query_count(api, CAMPAIGNS)
    create(api, shop, campaign_id="C2", recipients=["E1"])
    create(api, shop, campaign_id="C3", recipients=["E2"])
    assert create(other_tenant.api(), open_shop(other_tenant), campaign_id="C9").status_code == 202

    listed = results(api.get(CAMPAIGNS))

    assert [c["campaign_id"] for c in listed] == ["C3", "C2", "C1"]
    assert listed == [campaign_expected(Campaign.objects.get(pk=c["id"])) for c in listed]
    assert query_count(api, CAMPAIGNS) == one


def test_another_organisations_campaign_answers_404(api, shop, other_tenant):
    theirs = open_shop(other_tenant)
    response = create(other_tenant.api(), theirs)
    assert response.status_code == 202
    campaign_id = response.json()["id"]
    assert_problem(api.get(f"{CAMPAIGNS}{campaign_id}/"), 404, "campaign_not_found")
    assert_problem(api.get(f"{CAMPAIGNS}{campaign_id}/recipients/"), 404, "campaign_not_found")
    assert results(api.get(CAMPAIGNS)) == []


def test_campaigns_need_vouchers_write_to_create_and_vouchers_read_to_follow(tenant, shop):
    with vouchers_nothing_changes():
        assert_problem(create(tenant.api(READ_ONLY), shop), 403, "insufficient_scope")
    campaign_id = create(tenant.api((Scope.VOUCHERS_WRITE,)), shop).json()["id"]
    writer = tenant.api((Scope.VOUCHERS_WRITE,))
    for path in (CAMPAIGNS, f"{CAMPAIGNS}{campaign_id}/", f"{CAMPAIGNS}{campaign_id}/recipients/"):
        assert_problem(writer.get(path), 403, "insufficient_scope")
