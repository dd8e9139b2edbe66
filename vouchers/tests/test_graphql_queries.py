"""GraphQL reads of the vouchers app: voucherProducts, vouchers (codes masked), voucherOrders and campaigns."""

import pytest
from graphql_relay import to_global_id

from plum.core.scopes import Scope
from plum.core.timefmt import iso
from points.tests.factories import system
from tests.conftest import graphql
from vouchers import services
from vouchers.commands import CampaignCreate
from vouchers.models import Campaign, Voucher, VoucherOrder
from vouchers.tests.expected import gid, nodes
from vouchers.tests.factories import make_catalogue, make_shop

READ = Scope.VOUCHERS_READ


@pytest.fixture
def shop(tenant, other_tenant):
    return make_shop(tenant, other_tenant)


def test_voucher_products_with_stock_levels(tenant, shop):
    query = """{ voucherProducts { totalCount edges { node { id brand name currency denominations pointsPerUnit
        validityDays country category source inStock stock { denomination available } } } } }"""
    status, body = graphql(tenant.api([READ]), query)
    assert status == 200
    assert body["data"]["voucherProducts"]["totalCount"] == 2
    assert nodes(body, "voucherProducts") == [
        {
            "id": gid(shop.generated),
            "brand": "Bookworm",
            "name": "Gift card",
            "currency": "GBP",
            "denominations": [10, 20],
            "pointsPerUnit": 12,
            "validityDays": 180,
            "country": "GB",
            "category": "books",
            "source": "generated",
            "inStock": True,
            "stock": None,
        },
        {
            "id": gid(shop.stock),
            "brand": "Skyway",
            "name": "Travel credit",
            "currency": "EUR",
            "denominations": [25, 50],
            "pointsPerUnit": 10,
            "validityDays": 365,
            "country": "DE",
            "category": "travel",
            "source": "stock",
            "inStock": True,
            "stock": [{"denomination": 25, "available": 2}, {"denomination": 50, "available": 0}],
        },
    ]


def test_a_stock_product_without_codes_is_out_of_stock(tenant):
    make_catalogue(tenant)
    query = '{ voucherProducts(brand: "Skyway") { edges { node { inStock stock { denomination available } } } } }'
    status, body = graphql(tenant.api([READ]), query)
    assert (status, nodes(body, "voucherProducts")) == (
        200,
        [{"inStock": False, "stock": [{"denomination": 25, "available": 0}, {"denomination": 50, "available": 0}]}],
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('country: "de"', ["Travel credit"]),
        ('currency: "GBP"', ["Gift card"]),
        ('brand: "skyway"', ["Travel credit"]),
        ('category: "books"', ["Gift card"]),
        ('country: "GB", category: "travel"', []),
    ],
)
def test_voucher_products_filters(tenant, shop, arguments, expected):
    status, body = graphql(tenant.api([READ]), f"{{ voucherProducts({arguments}) {{ edges {{ node {{ name }} }} }} }}")
    assert status == 200
    assert [n["name"] for n in nodes(body, "voucherProducts")] == expected


VOUCHER_FIELDS = """id status code pin employeeId productId brand productName currency denomination points funding
    programme orderId campaignId issuedAt expiresAt redeemedAt cancelledAt expiredAt"""


def test_vouchers_show_every_field_with_the_code_masked(tenant, shop):
    query = f'{{ vouchers(employeeId: "E1", status: redeemed) {{ edges {{ node {{ {VOUCHER_FIELDS} }} }} }} }}'
    status, body = graphql(tenant.api([READ]), query)
    redeemed = Voucher.objects.get(organisation=tenant.organisation, status="redeemed")
    assert status == 200
    assert nodes(body, "vouchers") == [
        {
            "id": gid(redeemed),
            "status": "redeemed",
            "code": "••••0000",
            "pin": "••••",
            "employeeId": "E1",
            "productId": gid(shop.stock),
            "brand": "Skyway",
            "productName": "Travel credit",
            "currency": "EUR",
            "denomination": 25,
            "points": 250,
            "funding": "points",
            "programme": None,
            "orderId": "O1",
            "campaignId": None,
            "issuedAt": iso(redeemed.issued_at),
            "expiresAt": iso(redeemed.expires_at),
            "redeemedAt": iso(redeemed.redeemed_at),
            "cancelledAt": None,
            "expiredAt": None,
        }
    ]


def test_codes_are_masked_in_every_list(tenant, shop):
    query = """{ vouchers { edges { node { code pin } } }
        voucherOrders { edges { node { vouchers { code pin } } } } }"""
    status, body = graphql(tenant.api([READ]), query)
    assert status == 200
    listed = [n["code"] for n in nodes(body, "vouchers")]
    ordered = [v["code"] for n in nodes(body, "voucherOrders") for v in n["vouchers"]]
    stored = Voucher.objects.filter(organisation=tenant.organisation)
    assert sorted(listed) == sorted(f"••••{v.code_last4}" for v in stored)
    assert sorted(ordered) == sorted(f"••••{v.code_last4}" for v in stored if v.order_id)  # not C1's
    assert {n["pin"] for n in nodes(body, "vouchers")} == {"••••", None}  # stock codes have PINs, generated none


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", ["C1/E1", "O2/E2", "O1/E1", "O1/E1"]),
        ('employeeId: "E2"', ["O2/E2"]),
        ("status: issued", ["C1/E1", "O2/E2", "O1/E1"]),
        ('campaign: "C1"', ["C1/E1"]),
        ('campaign: "NOPE"', []),
        ('expiresBefore: "2000-01-01T00:00:00+00:00"', []),
        ("first: 1", ["C1/E1"]),
    ],
)
def test_vouchers_filters_newest_first(tenant, shop, arguments, expected):
    selection = "{ edges { node { orderId campaignId employeeId } } }"
    query = f"{{ vouchers{f'({arguments})' if arguments else ''} {selection} }}"
    status, body = graphql(tenant.api([READ]), query)
    assert status == 200
    assert [f"{n['orderId'] or n['campaignId']}/{n['employeeId']}" for n in nodes(body, "vouchers")] == expected


def test_vouchers_by_product_and_expiry(tenant, shop):
    stock, generated = gid(shop.stock), gid(shop.generated)
    soon = Voucher.objects.filter(organisation=tenant.organisation, order__order_id="O2").get()
    query = """query($product: ID, $before: DateTime) { vouchers(productId: $product, expiresBefore: $before) {
        totalCount } }"""
    api = tenant.api([READ])
    counts = [
        graphql(api, query, variables)[1]["data"]["vouchers"]["totalCount"]
        for variables in (
            {"product": stock},
            {"product": generated},
            {"product": to_global_id("Voucher", str(shop.stock.pk))},  # not a product id: names nothing
            {"product": "%%%"},
            {"before": iso(soon.expires_at)},
        )
    ]
    assert counts == [2, 2, 0, 0, 0]


def test_voucher_orders_with_their_vouchers(tenant, shop):
    query = """{ voucherOrders { totalCount edges { node { id orderId employeeId productId denomination quantity
        funding programme points transactionId createdAt vouchers { id code status } } } } }"""
    status, body = graphql(tenant.api([READ]), query)
    o1, o2 = (VoucherOrder.objects.get(organisation=tenant.organisation, order_id=o) for o in ("O1", "O2"))
    v1, v2 = Voucher.objects.filter(order=o1).order_by("id")
    (v3,) = Voucher.objects.filter(order=o2)
    assert status == 200
    assert body["data"]["voucherOrders"]["totalCount"] == 2
    assert nodes(body, "voucherOrders") == [
        {
            "id": gid(o2),
            "orderId": "O2",
            "employeeId": "E2",
            "productId": gid(shop.generated),
            "denomination": 10,
            "quantity": 1,
            "funding": "programme",
            "programme": "P1",
            "points": 120,
            "transactionId": str(o2.transaction_id),
            "createdAt": iso(o2.created_at),
            "vouchers": [{"id": gid(v3), "code": f"••••{v3.code_last4}", "status": "issued"}],
        },
        {
            "id": gid(o1),
            "orderId": "O1",
            "employeeId": "E1",
            "productId": gid(shop.stock),
            "denomination": 25,
            "quantity": 2,
            "funding": "points",
            "programme": None,
            "points": 500,
            "transactionId": str(o1.transaction_id),
            "createdAt": iso(o1.created_at),
            "vouchers": [
                {"id": gid(v1), "code": "••••0000", "status": "redeemed"},
                {"id": gid(v2), "code": "••••0001", "status": "issued"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [('orderId: "O1"', ["O1"]), ('employeeId: "E2"', ["O2"]), ('orderId: "O1", employeeId: "E2"', [])],
)
def test_voucher_orders_filters(tenant, shop, arguments, expected):
    status, body = graphql(tenant.api([READ]), f"{{ voucherOrders({arguments}) {{ edges {{ node {{ orderId }} }} }} }}")
    assert (status, [n["orderId"] for n in nodes(body, "voucherOrders")]) == (200, expected)


def test_campaigns_with_their_progress(tenant, shop):
    queued = services.campaign_create(
        actor=system(tenant),
        command=CampaignCreate.parse(
            {
                "campaign_id": "C2",
                "name": "Later",
                "product_id": str(shop.generated.pk),
                "denomination": 10,
                "programme": "P1",
                "filter": {},
            }
        ),
    ).campaign
    query = """{ campaigns { totalCount edges { node { id campaignId name productId denomination programme status
        total processed issued outOfStock employeeInactive budgetExhausted pointsDrawn expiresAt lastError
        createdAt startedAt completedAt } } } }"""
    status, body = graphql(tenant.api([READ]), query)
    done = Campaign.objects.get(organisation=tenant.organisation, campaign_id="C1")
    assert status == 200
    assert nodes(body, "campaigns") == [
        {
            "id": gid(queued),
            "campaignId": "C2",
            "name": "Later",
            "productId": gid(shop.generated),
            "denomination": 10,
            "programme": "P1",
            "status": "queued",
            "total": 2,
            "processed": 0,
            "issued": 0,
            "outOfStock": 0,
            "employeeInactive": 0,
            "budgetExhausted": 0,
            "pointsDrawn": 0,
            "expiresAt": None,
            "lastError": "",
            "createdAt": iso(queued.created_at),
            "startedAt": None,
            "completedAt": None,
        },
        {
            "id": gid(done),
            "campaignId": "C1",
            "name": "Thanks",
            "productId": gid(shop.generated),
            "denomination": 20,
            "programme": "P1",
            "status": "completed",
            "total": 1,
            "processed": 1,
            "issued": 1,
            "outOfStock": 0,
            "employeeInactive": 0,
            "budgetExhausted": 0,
            "pointsDrawn": 240,
            "expiresAt": None,
            "lastError": "",
            "createdAt": iso(done.created_at),
            "startedAt": iso(done.started_at),
            "completedAt": iso(done.completed_at),
        },
    ]
    _, filtered = graphql(tenant.api([READ]), "{ campaigns(status: completed) { edges { node { campaignId } } } }")
    _, by_id = graphql(tenant.api([READ]), '{ campaigns(campaignId: "C2") { edges { node { campaignId } } } }')
    assert nodes(filtered, "campaigns") == [{"campaignId": "C1"}]
    assert nodes(by_id, "campaigns") == [{"campaignId": "C2"}]
