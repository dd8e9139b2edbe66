"""Every voucher endpoint and GraphQL root field refuses: no token, an expired token, a token without the
scope, and a token of another organisation; and none of them changes anything of the victim's."""

import pytest
from graphql_relay import to_global_id
from rest_framework.test import APIClient

from plum.core.scopes import ALL_SCOPES, Scope
from points.tests.factories import make_programme, seed_employees, system
from tests.conftest import graphql
from vouchers import services
from vouchers.commands import CampaignCreate
from vouchers.tests.expected import vouchers_state
from vouchers.tests.factories import CAMPAIGNS, ORDERS, PRODUCTS, REDEEM, VOUCHERS, add_stock, make_catalogue, order

READ, WRITE, REVEAL = Scope.VOUCHERS_READ, Scope.VOUCHERS_WRITE, Scope.VOUCHERS_REVEAL
TARGET = "T-1"
CODE = "VICTIM-CODE-0001"


def _order(ids):
    body = {"order_id": "NEW-O", "employee_id": TARGET, "product_id": ids["product"], "denomination": 25}
    return {**body, "quantity": 1, "funding": "programme", "programme": "P1"}


def _campaign(ids):
    body = {"campaign_id": "NEW-C", "name": "x", "product_id": ids["product"], "denomination": 25}
    return {**body, "programme": "P1", "recipients": [TARGET]}


# name -> (method, path, body (a function of the victim's ids) or None, scope, names the victim's object)
REST = {
    "products.list": ("get", PRODUCTS, None, READ, False),
    "orders.list": ("get", ORDERS, None, READ, False),
    "orders.create": ("post", ORDERS, _order, WRITE, True),
    "orders.retrieve": ("get", ORDERS + "{order}/", None, READ, True),
    "vouchers.list": ("get", VOUCHERS, None, READ, False),
    "vouchers.retrieve": ("get", VOUCHERS + "{voucher}/", None, READ, True),
    "vouchers.reveal": ("get", VOUCHERS + "{voucher}/?reveal=true", None, REVEAL, True),
    "vouchers.cancel": ("post", VOUCHERS + "{voucher}/cancel/", None, WRITE, True),
    "vouchers.redeem": ("post", REDEEM, lambda ids: {"code": CODE}, WRITE, True),
    "campaigns.list": ("get", CAMPAIGNS, None, READ, False),
    "campaigns.create": ("post", CAMPAIGNS, _campaign, WRITE, True),
    "campaigns.retrieve": ("get", CAMPAIGNS + "{campaign}/", None, READ, True),
    "campaigns.recipients": ("get", CAMPAIGNS + "{campaign}/recipients/", None, READ, True),
}
# How another organisation is refused: the object it names does not exist there.
NOT_YOURS = {
    "orders.create": (422, "employee_not_found"),
    "orders.retrieve": (404, "voucher_order_not_found"),
    "vouchers.retrieve": (404, "voucher_not_found"),
    "vouchers.reveal": (404, "voucher_not_found"),
    "vouchers.cancel": (404, "voucher_not_found"),
    "vouchers.redeem": (404, "voucher_not_found"),
    "campaigns.create": (422, "product_not_found"),
    "campaigns.retrieve": (404, "campaign_not_found"),
    "campaigns.recipients": (404, "campaign_not_found"),
}
GRAPHQL = {
    "voucherProducts": ("{ voucherProducts { edges { node { name } } } }", READ),
    "vouchers": ("{ vouchers { edges { node { code employeeId } } } }", READ),
    "voucherOrders": ("{ voucherOrders { edges { node { orderId } } } }", READ),
    "campaigns": ("{ campaigns { edges { node { campaignId } } } }", READ),
    "voucherOrderCreate": (
        'mutation { voucherOrderCreate(input: {orderId: "NEW-O", employeeId: "T-1", productId: "{product_gid}",'
        ' denomination: 25, funding: programme, programme: "P1"}) { errors { code } } }',
        WRITE,
    ),
    "voucherCancel": ('mutation { voucherCancel(input: {id: "{voucher_gid}"}) { errors { code } } }', WRITE),
    "voucherRedeem": (f'mutation {{ voucherRedeem(input: {{code: "{CODE}"}}) {{ errors {{ code }} }} }}', WRITE),
    "campaignCreate": (
        'mutation { campaignCreate(input: {campaignId: "NEW-C", name: "x", productId: "{product_gid}",'
        ' denomination: 25, programme: "P1", recipients: ["T-1"]}) { errors { code } } }',
        WRITE,
    ),
}
GRAPHQL_NOT_YOURS = {
    "voucherOrderCreate": "employee_not_found",
    "voucherCancel": "voucher_not_found",
    "voucherRedeem": "voucher_not_found",
    "campaignCreate": "product_not_found",
}


@pytest.fixture
def victim(make_tenant):
    """An organisation with a product, a voucher (code CODE) from an order, and a campaign."""
    victim = make_tenant("victim")
    seed_employees(victim, TARGET)
    catalogue = make_catalogue(victim)
    make_programme(victim, "P1", budget=10_000)
    add_stock(victim, catalogue.stock, [CODE], pin="9999")
    placed = order(victim, product=catalogue.stock, funding="programme", programme="P1", employee_id=TARGET)
    campaign = services.campaign_create(
        actor=system(victim),
        command=CampaignCreate.parse(
            {**_campaign({"product": str(catalogue.generated.pk)}), "campaign_id": "V-C", "denomination": 10}
        ),
    ).campaign
    ids = {
        "product": str(catalogue.stock.pk),
        "order": str(placed.order.pk),
        "voucher": str(placed.vouchers[0].pk),
        "campaign": str(campaign.pk),
    }
    ids["product_gid"] = to_global_id("VoucherProduct", ids["product"])
    ids["voucher_gid"] = to_global_id("Voucher", ids["voucher"])
    return victim, ids


def callers(victim, make_tenant, scope) -> dict:
    return {
        "no_token": (APIClient(), 401, "not_authenticated"),
        "expired_token": (victim.api(expired=True), 401, "invalid_token"),
        "missing_scope": (victim.api(scopes=[s for s in ALL_SCOPES if s != scope]), 403, "insufficient_scope"),
        "other_organisation": (make_tenant("intruder").api(), None, None),
    }


def victims_rows(tenant) -> dict:
    """The victim's rows of every table a voucher call may touch (rows without an organisation: all)."""
    org = tenant.organisation.id
    return {name: [r for r in rows if r.get("organisation_id", org) == org] for name, rows in vouchers_state().items()}


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("name", sorted(REST))
def test_rest_refuses(name, caller, victim, make_tenant):
    tenant, ids = victim
    method, path, body, scope, names_victims = REST[name]
    client, status, code = callers(tenant, make_tenant, scope)[caller]
    before = victims_rows(tenant)

    path = path.format(**ids)
    data = body(ids) if body else None
    response = client.post(path, data, format="json") if method == "post" else client.get(path)

    if status is not None:
        assert (response.status_code, response.json()["code"]) == (status, code)
    elif names_victims:
        assert (response.status_code, response.json()["code"]) == NOT_YOURS[name]
    else:  # a list acts on the caller's own organisation: nothing of the victim's shows
        assert response.status_code == 200 and response.json()["results"] == []
    assert victims_rows(tenant) == before


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("field", sorted(GRAPHQL))
def test_graphql_refuses(field, caller, victim, make_tenant):
    tenant, ids = victim
    document, scope = GRAPHQL[field]
    client, status, _ = callers(tenant, make_tenant, scope)[caller]
    before = victims_rows(tenant)

    for key in ("product_gid", "voucher_gid"):
        document = document.replace("{" + key + "}", ids[key])
    code, body = graphql(client, document)

    if status == 401:
        assert code == 401
    elif status == 403:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {field: None}
    elif field in GRAPHQL_NOT_YOURS:
        assert [e["code"] for e in body["data"][field]["errors"]] == [GRAPHQL_NOT_YOURS[field]]
    else:
        assert body == {"data": {field: {"edges": []}}}
    assert victims_rows(tenant) == before
