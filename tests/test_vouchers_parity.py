"""Each voucher write through REST and through GraphQL, on two tenants set up alike: the same error codes
and the same end state (orders, vouchers, wallets, budget, stock, campaigns, events)."""

from dataclasses import dataclass, field

import pytest
from graphene.utils.str_converters import to_camel_case
from graphql_relay import to_global_id

from plum.core.models import OutboxEvent
from points import selectors as points_selectors
from points.tests.factories import make_programme, seed_employees, system
from tests.conftest import graphql
from vouchers import services
from vouchers.commands import VoucherCancel, VoucherOrderPlace, VoucherRedeem
from vouchers.models import Campaign, StockCode, Voucher, VoucherOrder
from vouchers.tests.factories import CAMPAIGNS, ORDERS, REDEEM, VOUCHERS, add_stock, fund_wallet, make_catalogue

ERRORS = "errors { field code message }"
CODES = ["PARITY-0001", "PARITY-0002"]
MISSING = "00000000-0000-7000-8000-000000000000"


@dataclass(frozen=True)
class Scenario:
    name: str
    action: str  # order | cancel | redeem | campaign
    body: dict = field(default_factory=dict)
    given: tuple = ()  # ("order", fields) | ("redeem", code) | ("cancel",)
    codes: list = field(default_factory=list)
    events: list = field(default_factory=list)


def setup(tenant, given) -> dict:
    """E1 (800 points), E2 (no points), E3 inactive; P1 with 5,000 points; two stock codes of 25."""
    seed_employees(tenant, "E1", "E2")
    seed_employees(tenant, "E3", status="inactive")
    catalogue = make_catalogue(tenant)
    add_stock(tenant, catalogue.stock, CODES)
    fund_wallet(tenant, "E1", 800)
    make_programme(tenant, "P1", budget=5_000)
    products = {"stock": catalogue.stock, "generated": catalogue.generated}
    for step, *args in given:
        if step == "order":
            data = {"order_id": "G1", "employee_id": "E1", "product": "stock", "denomination": 25} | args[0]
            data["product_id"] = str(products[data.pop("product")].pk)
            command = VoucherOrderPlace.parse({"funding": "points", **data})
            services.voucher_order_place(actor=system(tenant), command=command)
        elif step == "redeem":
            services.voucher_redeem(actor=system(tenant), command=VoucherRedeem.parse({"code": args[0]}))
        elif step == "cancel":
            services.voucher_cancel(
                actor=system(tenant), command=VoucherCancel(voucher_id=Voucher.objects.get(order__order_id="G1").pk)
            )
    return products


def _body(tenant, scenario: Scenario, products: dict, graphql_ids: bool) -> dict:
    body = dict(scenario.body)
    if "product" in body:
        product = products[body.pop("product")]
        body["product_id"] = to_global_id("VoucherProduct", str(product.pk)) if graphql_ids else str(product.pk)
    return body


def _voucher_id(tenant) -> str:
    found = Voucher.objects.filter(organisation=tenant.organisation, order__order_id="G1").first()
    return str(found.pk) if found else MISSING


def rest_step(tenant, scenario: Scenario, products: dict) -> list[dict]:
    body = _body(tenant, scenario, products, graphql_ids=False)
    path = {"order": ORDERS, "redeem": REDEEM, "campaign": CAMPAIGNS}.get(scenario.action)
    path = path or f"{VOUCHERS}{_voucher_id(tenant)}/cancel/"
    response = tenant.api().post(path, body, format="json")
    document = response.json()
    if response.status_code >= 400:
        return document["errors"] or [{"field": None, "code": document["code"], "message": document["detail"]}]
    return []


def graphql_step(tenant, scenario: Scenario, products: dict) -> list[dict]:
    name = {"order": "voucherOrderCreate", "cancel": "voucherCancel", "redeem": "voucherRedeem"}.get(
        scenario.action, "campaignCreate"
    )
    data = {to_camel_case(k): v for k, v in _body(tenant, scenario, products, graphql_ids=True).items()}
    if isinstance(data.get("filter"), dict):
        data["filter"] = {to_camel_case(k): v for k, v in data["filter"].items()}
    if scenario.action == "cancel":
        data["id"] = to_global_id("Voucher", _voucher_id(tenant))
    query = f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) {{ {ERRORS} }} }}"
    status, body = graphql(tenant.api(), query, {"input": data})
    assert (status, "errors" in body) == (200, False), body
    return body["data"][name]["errors"]


def end_state(tenant, events_before: int) -> dict:
    org = tenant.organisation
    actor = system(tenant)
    return {
        "orders": sorted(
            VoucherOrder.objects.filter(organisation=org).values_list(
                "order_id", "employee__employee_id", "denomination", "quantity", "funding", "programme__code", "points"
            )
        ),
        "vouchers": sorted(
            Voucher.objects.filter(organisation=org).values_list(
                "employee__employee_id", "product__source", "denomination", "points", "status", "funding"
            )
        ),
        "wallets": [points_selectors.wallet_get(actor=actor, employee_id=e)["balance"] for e in ("E1", "E2")],
        "budget": points_selectors.programme_get(actor=actor, code="P1").budget_balance,
        "stock": StockCode.objects.filter(organisation=org, status="available").count(),
        "campaigns": sorted(Campaign.objects.filter(organisation=org).values_list("campaign_id", "status", "total")),
        "events": sorted(
            OutboxEvent.objects.filter(organisation_id=org.id)
            .order_by("id")
            .values_list("event_type", flat=True)[events_before:]
        ),
    }


def ordering(name, *, codes=(), events=("voucher.issued",), given=(), **changes) -> Scenario:
    body = {"order_id": "O1", "employee_id": "E1", "product": "stock", "denomination": 25, "funding": "points"}
    return Scenario(name, "order", body | changes, given, list(codes), list(events))


def campaign(name, *, codes=(), **changes) -> Scenario:
    body = {"campaign_id": "C1", "name": "Thanks", "product": "generated", "denomination": 10, "programme": "P1"}
    return Scenario(name, "campaign", body | {"recipients": ["E1", "E2"]} | changes, codes=list(codes))


ORDER_G1 = ("order", {})
SCENARIOS = [
    ordering("points from stock"),
    ordering("programme, generated", product="generated", denomination=20, funding="programme", programme="P1"),
    ordering("replay", given=(("order", {"order_id": "O1"}),), events=()),
    ordering(
        "order_id conflict",
        given=(("order", {"order_id": "O1", "product": "generated", "denomination": 10}),),
        codes=["order_id_conflict"],
        events=(),
    ),
    ordering("out of stock", quantity=3, codes=["out_of_stock"], events=()),
    ordering("insufficient balance", denomination=50, quantity=2, codes=["insufficient_balance"], events=()),
    ordering(
        "budget exhausted",
        funding="programme",
        programme="P1",
        product="generated",
        denomination=20,
        quantity=30,
        codes=["budget_exhausted"],
        events=(),
    ),
    ordering("denomination not offered", denomination=30, codes=["denomination_not_offered"], events=()),
    ordering("employee inactive", employee_id="E3", codes=["employee_inactive"], events=()),
    ordering("employee not found", employee_id="E9", codes=["employee_not_found"], events=()),
    ordering("malformed", order_id="a b", quantity=0, codes=["invalid", "invalid"], events=()),
    Scenario("cancel", "cancel", given=(ORDER_G1,)),
    Scenario("cancel redeemed", "cancel", given=(ORDER_G1, ("redeem", CODES[0])), codes=["already_redeemed"]),
    Scenario("cancel unknown", "cancel", codes=["voucher_not_found"]),
    Scenario("redeem", "redeem", {"code": CODES[0].lower()}, given=(ORDER_G1,), events=["voucher.redeemed"]),
    Scenario(
        "redeem twice", "redeem", {"code": CODES[0]}, given=(ORDER_G1, ("redeem", CODES[0])), codes=["already_redeemed"]
    ),
    Scenario("redeem unknown", "redeem", {"code": "NOPE-1"}, codes=["voucher_not_found"]),
    Scenario("redeem in stock, not issued", "redeem", {"code": CODES[1]}, codes=["voucher_not_found"]),
    campaign("campaign"),
    campaign("campaign by filter", recipients=None, filter={"status": "active"}),
    campaign("campaign unknown recipient", recipients=["E1", "E9"], codes=["employee_not_found"]),
    campaign("campaign programme not found", programme="P9", codes=["programme_not_found"]),
    campaign("campaign empty filter", recipients=None, filter={"department": "Nobody"}, codes=["no_recipients"]),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_vouchers_rest_and_graphql_leave_the_same_state(make_tenant, scenario):
    outcomes, states = [], []
    for tenant, step in ((make_tenant(), rest_step), (make_tenant(), graphql_step)):
        products = setup(tenant, scenario.given)
        events_before = OutboxEvent.objects.filter(organisation_id=tenant.organisation.id).count()
        outcomes.append(step(tenant, scenario, products))
        states.append(end_state(tenant, events_before))

    rest, graphql_ = outcomes
    assert [e["code"] for e in rest] == scenario.codes
    if scenario.action != "campaign":  # a campaign's vouchers come later, from Celery
        assert states[0]["events"] == sorted(scenario.events)
    assert [(e["field"], e["code"]) for e in graphql_] == [(e["field"], e["code"]) for e in rest]
    assert states[1] == states[0]


def test_voucher_error_codes_are_the_rest_codes(tenant):
    from plum.core.errors import CoreErrorCode
    from vouchers.errors import VoucherErrorCode

    status, body = graphql(tenant.api(), '{ __type(name: "VoucherErrorCode") { enumValues { name } } }')
    assert status == 200
    assert {v["name"] for v in body["data"]["__type"]["enumValues"]} == {c.value for c in CoreErrorCode} | {
        c.value for c in VoucherErrorCode
    }
