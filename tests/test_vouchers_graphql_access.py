"""GraphQL reads of the vouchers app: other organisations, no N+1, scopes, no stored code in the schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plum.core.scopes import Scope
from points.tests.factories import seed_employees
from tests.conftest import graphql
from vouchers.models import Voucher
from vouchers.tests.expected import gid
from vouchers.tests.factories import BrandFactory, ProductFactory, add_stock, campaign, make_shop, order

READ = Scope.VOUCHERS_READ


@pytest.fixture
def shop(tenant, other_tenant):
    return make_shop(tenant, other_tenant)


def test_no_field_shows_the_stored_code(tenant):
    query = '{ __type(name: "Voucher") { fields { name } } }'
    status, body = graphql(tenant.api([READ]), query)
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert status == 200
    assert not {n for n in names if "Ciphertext" in n or "Hash" in n or n in ("stockCode", "spentLots")}
    assert {"code", "pin"} <= names


def test_another_organisation_sees_only_its_own(tenant, other_tenant, shop):
    query = """{ voucherProducts { totalCount } vouchers { totalCount edges { node { id } } }
        voucherOrders { totalCount } campaigns { totalCount } }"""
    status, body = graphql(other_tenant.api([READ]), query)
    theirs = Voucher.objects.get(organisation=other_tenant.organisation)
    assert status == 200 and "errors" not in body, body
    assert body["data"] == {
        "voucherProducts": {"totalCount": 2},
        "vouchers": {"totalCount": 1, "edges": [{"node": {"id": gid(theirs)}}]},
        "voucherOrders": {"totalCount": 1},
        "campaigns": {"totalCount": 0},
    }
    # acme's ids name nothing for globex
    query = """query($product: ID) { vouchers(productId: $product) { totalCount }
        voucherOrders(orderId: "O2") { totalCount } campaigns(campaignId: "C1") { totalCount } }"""
    status, body = graphql(other_tenant.api([READ]), query, {"product": gid(shop.generated)})
    assert body["data"] == {
        "vouchers": {"totalCount": 0},
        "voucherOrders": {"totalCount": 0},
        "campaigns": {"totalCount": 0},
    }


def count_queries(api, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, body = graphql(api, query)
    assert status == 200 and "errors" not in body, body
    return len(captured)


LISTS = {
    "voucherProducts": "{ voucherProducts { edges { node { brand inStock stock { available } } } } }",
    "vouchers": """{ vouchers { edges { node { code employeeId productId brand productName currency funding
        programme orderId campaignId } } } }""",
    "voucherOrders": """{ voucherOrders { edges { node { employeeId productId programme
        vouchers { code employeeId brand productName programme orderId campaignId } } } } }""",
    "campaigns": "{ campaigns { edges { node { productId programme status issued } } } }",
}


@pytest.mark.parametrize("field", sorted(LISTS))
def test_lists_cost_the_same_queries_for_few_and_many(tenant, shop, field):
    api = tenant.api([READ])
    few = count_queries(api, LISTS[field])
    seed_employees(tenant, *[f"M{n}" for n in range(6)])
    brand = BrandFactory(tenant=tenant, name="Many")
    for n in range(6):
        product = ProductFactory(
            tenant=tenant,
            brand=brand,
            name=f"Card {n}",
            denominations=[5],
            points_per_unit=1,
            country="FR",
            category="",
        )
        add_stock(tenant, product, [f"MANY-{n}-{k}" for k in range(3)], denomination=5)
        order(
            tenant,
            order_id=f"M-{n}",
            employee_id=f"M{n}",
            product=product,
            denomination=5,
            quantity=2,
            funding="programme",
            programme="P1",
        )
        campaign(tenant, campaign_id=f"MC-{n}", recipients=[f"M{n}"], product=shop.generated, denomination=10)
    assert count_queries(api, LISTS[field]) == few


@pytest.mark.parametrize("field", sorted(LISTS))
def test_queries_need_vouchers_read(tenant, shop, field):
    status, body = graphql(tenant.api([Scope.VOUCHERS_WRITE, Scope.VOUCHERS_REVEAL]), LISTS[field])
    assert status == 200
    assert body["data"] == {field: None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("The token lacks the scope vouchers:read.", {"code": "insufficient_scope"})
    ]
