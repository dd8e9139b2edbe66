"""GraphQL mutations of the vouchers app: the same services as REST, business errors in the payload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from plum.core.scopes import Scope
from plum.core.timefmt import iso
from points.tests.factories import balance, budget, make_programme, seed_employees, system
from tests.conftest import graphql
from vouchers import services
from vouchers.commands import VoucherRedeem
from vouchers.models import Campaign, StockCode, Voucher, VoucherOrder
from vouchers.tests.expected import vouchers_nothing_changes
from vouchers.tests.factories import fund_wallet, make_catalogue, order

WRITE = Scope.VOUCHERS_WRITE
ERRORS = "errors { field code message }"
ORDER = f"""mutation($input: VoucherOrderCreateInput!) {{ voucherOrderCreate(input: $input) {{ replayed
    order {{ id orderId employeeId productId denomination quantity funding programme points
        vouchers {{ id code pin status }} }}
    vouchers {{ id code pin status denomination currency points expiresAt }} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: VoucherCancelInput!) {{ voucherCancel(input: $input) {{
    voucher {{ id status code cancelledAt }} {ERRORS} }} }}"""
REDEEM = f"""mutation($input: VoucherRedeemInput!) {{ voucherRedeem(input: $input) {{
    voucher {{ id status code redeemedAt }} {ERRORS} }} }}"""
CAMPAIGN = f"""mutation($input: CampaignCreateInput!) {{ campaignCreate(input: $input) {{ replayed
    campaign {{ id campaignId name productId denomination programme status total processed issued expiresAt }}
    {ERRORS} }} }}"""


def gid(type_name: str, obj) -> str:
    return to_global_id(type_name, str(obj.pk))


@pytest.fixture
def shop(tenant):
    """E1 with 1,000 points, E2 with none, E3 inactive; P1 holds 10,000 points, P2 only 100; 3 codes of 25."""
    seed_employees(tenant, "E1", "E2", department="Sales")
    seed_employees(tenant, "E3", status="inactive")
    cat = make_catalogue(tenant, stock_codes=3)
    fund_wallet(tenant, "E1", 1_000)
    make_programme(tenant, "P1", budget=10_000)
    make_programme(tenant, "P2", budget=100)
    return cat


def run(tenant, query, data, scopes=(WRITE,)):
    status, body = graphql(tenant.api(scopes), query, {"input": data})
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


def order_input(product, **fields) -> dict:
    return {
        "orderId": "O1",
        "employeeId": "E1",
        "productId": gid("VoucherProduct", product),
        "denomination": 25,
        "quantity": 2,
        "funding": "points",
        **fields,
    }


def campaign_input(product, **fields) -> dict:
    return {
        "campaignId": "C1",
        "name": "Thanks",
        "productId": gid("VoucherProduct", product),
        "denomination": 10,
        "programme": "P1",
        "recipients": ["E1", "E2"],
        **fields,
    }


def test_order_shows_the_codes_in_full_this_once(tenant, shop):
    payload = run(tenant, ORDER, order_input(shop.stock))
    stored = VoucherOrder.objects.get(organisation=tenant.organisation, order_id="O1")
    v1, v2 = Voucher.objects.filter(order=stored).order_by("id")
    assert payload == {
        "replayed": False,
        "order": {
            "id": gid("VoucherOrder", stored),
            "orderId": "O1",
            "employeeId": "E1",
            "productId": gid("VoucherProduct", shop.stock),
            "denomination": 25,
            "quantity": 2,
            "funding": "points",
            "programme": None,
            "points": 500,
            "vouchers": [
                {"id": gid("Voucher", v1), "code": "••••0000", "pin": "••••", "status": "issued"},
                {"id": gid("Voucher", v2), "code": "••••0001", "pin": "••••", "status": "issued"},
            ],
        },
        "vouchers": [
            {
                "id": gid("Voucher", v),
                "code": f"SKY-acme-0000{n}",
                "pin": "1234",
                "status": "issued",
                "denomination": 25,
                "currency": "EUR",
                "points": 250,
                "expiresAt": iso(v.expires_at),
            }
            for n, v in enumerate([v1, v2])
        ],
        "errors": [],
    }
    assert balance(tenant) == 500
    assert StockCode.objects.filter(status="available").count() == 1


def test_order_replays_with_the_same_codes(tenant, shop):
    first = run(tenant, ORDER, order_input(shop.stock))
    with vouchers_nothing_changes():
        again = run(tenant, ORDER, order_input(shop.stock))
    assert again == first | {"replayed": True}


def test_order_paid_by_a_programme_with_generated_codes(tenant, shop):
    fields = {"denomination": 10, "quantity": None, "funding": "programme", "programme": "P1"}
    payload = run(tenant, ORDER, order_input(shop.generated, employeeId="E2", **fields))
    (voucher,) = Voucher.objects.filter(order__order_id="O1")
    code = payload["vouchers"][0]["code"]
    assert payload["errors"] == [] and payload["order"]["programme"] == "P1" and payload["order"]["quantity"] == 1
    assert payload["vouchers"][0]["pin"] is None and code.count("-") == 4 and code.endswith(voucher.code_last4)
    assert payload["order"]["vouchers"] == [
        {"id": gid("Voucher", voucher), "code": f"••••{voucher.code_last4}", "pin": None, "status": "issued"}
    ]
    assert (budget(tenant, "P1"), balance(tenant, "E2")) == (10_000 - 120, 0)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"orderId": "N", "quantity": 3}, "quantity", "out_of_stock"),
        ({"orderId": "N", "employeeId": "E2"}, None, "insufficient_balance"),
        ({"orderId": "N", "funding": "programme", "programme": "P2"}, None, "budget_exhausted"),
        ({"orderId": "N", "denomination": 30}, "denomination", "denomination_not_offered"),
        ({"orderId": "N", "employeeId": "E3"}, "employee_id", "employee_inactive"),
        ({"orderId": "N", "employeeId": "NOBODY"}, "employee_id", "employee_not_found"),
        ({"orderId": "N", "funding": "programme", "programme": "NOPE"}, "programme", "programme_not_found"),
        ({"denomination": 50}, "order_id", "order_id_conflict"),
        ({"orderId": "bad id"}, "order_id", "invalid"),
    ],
)
def test_order_business_errors_change_nothing(tenant, shop, fields, field, code):
    order(tenant, order_id="O1", product=shop.stock)
    with vouchers_nothing_changes():
        payload = run(tenant, ORDER, order_input(shop.stock, **fields))
    assert (payload["order"], payload["vouchers"], payload["replayed"]) == (None, None, None)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]


PRODUCT_IDS_NAMING_NOTHING = {
    "another organisation's": lambda other: gid("VoucherProduct", other.stock),
    "another type": lambda other: to_global_id("Voucher", "00000000-0000-0000-0000-000000000000"),
    "bare uuid": lambda other: str(other.stock.pk),
    "garbage": lambda other: "%%%",
}


@pytest.mark.parametrize("kind", sorted(PRODUCT_IDS_NAMING_NOTHING))
def test_product_ids_naming_nothing_answer_product_not_found(tenant, other_tenant, shop, kind):
    product_id = PRODUCT_IDS_NAMING_NOTHING[kind](make_catalogue(other_tenant, stock_codes=3))
    with vouchers_nothing_changes():
        ordered = run(tenant, ORDER, order_input(shop.stock, productId=product_id))
        campaign = run(tenant, CAMPAIGN, campaign_input(shop.stock, productId=product_id))
    for payload in (ordered, campaign):
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("product_id", "product_not_found")]


def test_redeem_then_redeem_again(tenant, shop):
    placed = order(tenant, product=shop.stock)
    voucher = placed.vouchers[0]
    redeemed = run(tenant, REDEEM, {"code": "sky-acme-00000"})
    voucher.refresh_from_db()
    assert redeemed == {
        "voucher": {
            "id": gid("Voucher", voucher),
            "status": "redeemed",
            "code": "••••0000",
            "redeemedAt": iso(voucher.redeemed_at),
        },
        "errors": [],
    }
    with vouchers_nothing_changes():
        again = run(tenant, REDEEM, {"code": "SKY-acme-00000"})
    assert again["voucher"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [(None, "already_redeemed")]


def test_redeem_expired_or_unknown_codes(tenant, other_tenant, shop):
    order(tenant, product=shop.stock)
    Voucher.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    seed_employees(other_tenant, "E1")
    fund_wallet(other_tenant, "E1", 1_000)
    order(other_tenant, product=make_catalogue(other_tenant, stock_codes=1).stock)
    with vouchers_nothing_changes():
        expired = run(tenant, REDEEM, {"code": "SKY-acme-00000"})
        unknown = run(tenant, REDEEM, {"code": "NO-SUCH-CODE"})
        theirs = run(tenant, REDEEM, {"code": "SKY-globex-00000"})
    assert [(e["field"], e["code"]) for e in expired["errors"]] == [(None, "voucher_expired")]
    for payload in (unknown, theirs):
        assert payload == {
            "voucher": None,
            "errors": [{"field": None, "code": "voucher_not_found", "message": "No voucher has this code."}],
        }


def test_cancel_refunds_the_wallet_and_answers_again_as_it_is(tenant, shop):
    voucher = order(tenant, product=shop.stock, quantity=1).vouchers[0]
    cancelled = run(tenant, CANCEL, {"id": gid("Voucher", voucher)})
    voucher.refresh_from_db()
    assert cancelled == {
        "voucher": {
            "id": gid("Voucher", voucher),
            "status": "cancelled",
            "code": "••••0000",
            "cancelledAt": iso(voucher.cancelled_at),
        },
        "errors": [],
    }
    assert balance(tenant) == 1_000
    assert StockCode.objects.filter(status="available").count() == 3
    with vouchers_nothing_changes():
        assert run(tenant, CANCEL, {"id": gid("Voucher", voucher)}) == cancelled


def test_cancel_a_redeemed_voucher(tenant, shop):
    voucher = order(tenant, product=shop.stock, quantity=1).vouchers[0]
    services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code="SKY-acme-00000"))
    with vouchers_nothing_changes():
        payload = run(tenant, CANCEL, {"id": gid("Voucher", voucher)})
    assert payload["voucher"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "already_redeemed")]


@pytest.mark.parametrize("kind", ["another organisation's", "another type", "bare uuid", "garbage"])
def test_voucher_ids_naming_nothing_answer_voucher_not_found(tenant, other_tenant, shop, kind):
    order(tenant, product=shop.stock, quantity=1)
    seed_employees(other_tenant, "E1")
    fund_wallet(other_tenant, "E1", 1_000)
    theirs = order(other_tenant, product=make_catalogue(other_tenant, stock_codes=1).stock).vouchers[0]
    voucher_id = {
        "another organisation's": gid("Voucher", theirs),
        "another type": gid("VoucherOrder", theirs),
        "bare uuid": str(theirs.pk),
        "garbage": "%%%",
    }[kind]
    with vouchers_nothing_changes():
        payload = run(tenant, CANCEL, {"id": voucher_id})
    assert payload == {
        "voucher": None,
        "errors": [{"field": None, "code": "voucher_not_found", "message": "No such voucher in this organisation."}],
    }


def test_campaign_for_listed_recipients_then_replay(tenant, shop):
    payload = run(tenant, CAMPAIGN, campaign_input(shop.generated, expiresAt="2099-01-01T00:00:00+00:00"))
    stored = Campaign.objects.get(organisation=tenant.organisation, campaign_id="C1")
    assert payload == {
        "replayed": False,
        "campaign": {
            "id": gid("Campaign", stored),
            "campaignId": "C1",
            "name": "Thanks",
            "productId": gid("VoucherProduct", shop.generated),
            "denomination": 10,
            "programme": "P1",
            "status": "queued",
            "total": 2,
            "processed": 0,
            "issued": 0,
            "expiresAt": "2099-01-01T00:00:00Z",
        },
        "errors": [],
    }
    services.campaign_process(stored.pk)  # on_commit does not fire inside a test's transaction
    assert Voucher.objects.filter(recipient__campaign=stored).count() == 2
    assert budget(tenant, "P1") == 10_000 - 2 * 120
    with vouchers_nothing_changes():
        again = run(tenant, CAMPAIGN, campaign_input(shop.generated, expiresAt="2099-01-01T00:00:00+00:00"))
    assert again["replayed"] is True
    assert again["campaign"] | {"status": "queued", "processed": 0, "issued": 0} == payload["campaign"]
    assert (again["campaign"]["status"], again["campaign"]["issued"]) == ("completed", 2)


def test_campaign_for_a_filter(tenant, shop):
    fields = {"recipients": None, "filter": {"department": "Sales"}}
    payload = run(tenant, CAMPAIGN, campaign_input(shop.generated, **fields))
    assert payload["errors"] == [] and payload["campaign"]["total"] == 2  # E3 is inactive and left out
    everyone = run(tenant, CAMPAIGN, campaign_input(shop.generated, campaignId="C2", recipients=None, filter={}))
    with_leavers = {"recipients": None, "filter": {"status": "inactive"}}
    leavers = run(tenant, CAMPAIGN, campaign_input(shop.generated, campaignId="C3", **with_leavers))
    assert (everyone["campaign"]["total"], leavers["campaign"]["total"]) == (2, 1)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": "Other"}, "campaign_id", "campaign_id_conflict"),
        ({"campaignId": "N", "recipients": None, "filter": {"country": "FR"}}, "filter", "no_recipients"),
        ({"campaignId": "N", "programme": "P2"}, "programme", "budget_exhausted"),
        ({"campaignId": "N", "denomination": 30}, "denomination", "denomination_not_offered"),
        ({"campaignId": "N", "recipients": ["E1", "NOBODY"]}, "recipients[1]", "employee_not_found"),
        ({"campaignId": "N", "recipients": None}, "recipients", "required"),
    ],
)
def test_campaign_business_errors_change_nothing(tenant, shop, fields, field, code):
    run(tenant, CAMPAIGN, campaign_input(shop.generated))
    with vouchers_nothing_changes():
        payload = run(tenant, CAMPAIGN, campaign_input(shop.generated, **fields))
    assert (payload["campaign"], payload["replayed"]) == (None, None)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]


@pytest.mark.parametrize("name", ["voucherOrderCreate", "voucherCancel", "voucherRedeem", "campaignCreate"])
def test_mutations_need_vouchers_write(tenant, shop, name):
    query, data = {
        "voucherOrderCreate": (ORDER, order_input(shop.stock)),
        "voucherCancel": (CANCEL, {"id": "%%%"}),
        "voucherRedeem": (REDEEM, {"code": "SKY-acme-00000"}),
        "campaignCreate": (CAMPAIGN, campaign_input(shop.generated)),
    }[name]
    with vouchers_nothing_changes():
        status, body = graphql(tenant.api([Scope.VOUCHERS_READ, Scope.VOUCHERS_REVEAL]), query, {"input": data})
    assert status == 200
    assert body["data"] == {name: None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("The token lacks the scope vouchers:write.", {"code": "insufficient_scope"})
    ]
