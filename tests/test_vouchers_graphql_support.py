"""Helpers for the vouchers GraphQL query tests (no tests here): a shop with orders, vouchers and a campaign."""

from graphql_relay import to_global_id

from plum.core import timefmt
from tests.points_support import make_programme, seed_employees, system
from tests.vouchers_support import Catalogue, fund_wallet, make_catalogue, order
from vouchers import services
from vouchers.models import Campaign, Product, Voucher, VoucherOrder


def iso(value) -> str | None:
    return timefmt.iso(value)  # both doors write times alike: UTC with Z


def gid(obj) -> str:
    type_name = {Product: "VoucherProduct", Voucher: "Voucher", VoucherOrder: "VoucherOrder", Campaign: "Campaign"}
    return to_global_id(type_name[type(obj)], str(obj.pk))


def nodes(body: dict, field: str) -> list[dict]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"][field]["edges"]]


def campaign(tenant, campaign_id="C1", recipients=("E1",), product=None, denomination=20) -> Campaign:
    created = services.campaign_create(
        actor=system(tenant),
        data={
            "campaign_id": campaign_id,
            "name": "Thanks",
            "product_id": str(product.pk),
            "denomination": denomination,
            "programme": "P1",
            "recipients": list(recipients),
        },
    )
    services.campaign_process(created.campaign.pk)  # on_commit does not fire inside a test's transaction
    created.campaign.refresh_from_db()
    return created.campaign


def make_shop(tenant, other_tenant) -> Catalogue:
    """acme: O1 two stock codes for E1 (one redeemed), O2 a generated code for E2 paid by P1, campaign C1
    giving E1 a generated 20; globex has the same catalogue and its own O1."""
    seed_employees(tenant, "E1", "E2")
    cat = make_catalogue(tenant, stock_codes=4)
    fund_wallet(tenant, "E1", 1_000)
    make_programme(tenant, "P1", budget=10_000)
    first = order(tenant, product=cat.stock, quantity=2)
    services.voucher_redeem(actor=system(tenant), code=first.document["vouchers"][0]["code"])
    order(
        tenant,
        order_id="O2",
        employee_id="E2",
        product=cat.generated,
        denomination=10,
        funding="programme",
        programme="P1",
    )
    campaign(tenant, product=cat.generated)
    seed_employees(other_tenant, "E1")
    other = make_catalogue(other_tenant, stock_codes=1)
    fund_wallet(other_tenant, "E1", 1_000)
    order(other_tenant, product=other.stock)
    return cat
