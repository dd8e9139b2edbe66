"""Vouchers over REST: the catalogue and orders (201 with codes in full, 200 replay, 409 and 422 refusals)."""

import uuid

import pytest

from plum.api.models import IdempotencyRecord
from plum.core.scopes import Scope
from plum.testing.tenants import Tenant
from points.tests.factories import balance, budget, iso, make_programme, system
from tests.support import assert_problem
from users.commands import ApiClientCreate
from users.services import api_client_create
from vouchers import services
from vouchers.commands import BrandCreate, ProductCreate
from vouchers.models import Product, Voucher, VoucherOrder, VoucherReveal
from vouchers.tests.expected import (
    READ_ONLY,
    masked,
    order_expected,
    query_count,
    results,
    voucher_expected,
    vouchers_nothing_changes,
)
from vouchers.tests.factories import CAMPAIGNS, ORDERS, PRODUCTS, make_catalogue, open_shop, order, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(tenant):
    return open_shop(tenant)


def post_order(api, shop, product="stock", **fields):
    return api.post(ORDERS, order_body(product=getattr(shop.catalogue, product), **fields), format="json")


def test_the_catalogue_lists_active_products_with_their_stock(api, shop):
    stock, generated = shop.catalogue.stock, shop.catalogue.generated

    assert results(api.get(PRODUCTS)) == [
        {
            "id": str(stock.id),
            "brand": "Skyway",
            "name": "Travel credit",
            "currency": "EUR",
            "denominations": [25, 50],
            "points_per_unit": 10,
            "validity_days": 365,
            "country": "DE",
            "category": "travel",
            "source": "stock",
            "in_stock": True,
            "stock": [{"denomination": 25, "available": 3}, {"denomination": 50, "available": 0}],
        },
        {
            "id": str(generated.id),
            "brand": "Bookworm",
            "name": "Gift card",
            "currency": "GBP",
            "denominations": [10, 20],
            "points_per_unit": 12,
            "validity_days": 180,
            "country": "GB",
            "category": "books",
            "source": "generated",
            "in_stock": True,
            "stock": None,
        },
    ]


def test_a_product_without_stock_is_listed_out_of_stock_and_inactive_ones_not_at_all(api, tenant, other_tenant):
    catalogue = make_catalogue(tenant)  # no codes
    Product.objects.filter(pk=catalogue.generated.pk).update(status="inactive")
    make_catalogue(other_tenant, stock_codes=1)

    [listed] = results(api.get(PRODUCTS))

    assert (listed["id"], listed["in_stock"]) == (str(catalogue.stock.id), False)
    assert listed["stock"] == [{"denomination": 25, "available": 0}, {"denomination": 50, "available": 0}]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Travel credit", "Gift card"]),
        ({"country": "gb"}, ["Gift card"]),
        ({"currency": "EUR"}, ["Travel credit"]),
        ({"brand": "skyway"}, ["Travel credit"]),
        ({"category": "books"}, ["Gift card"]),
        ({"country": "DE", "category": "books"}, []),
    ],
)
def test_products_filter_by_country_currency_brand_and_category(api, shop, filters, expected):
    assert [p["name"] for p in results(api.get(PRODUCTS, filters))] == expected


def test_the_product_list_reads_stock_once_per_page(api, shop):
    few = query_count(api, PRODUCTS)
    for n in range(5):
        services.product_create(
            actor=system(shop.tenant),
            command=ProductCreate.parse(
                {
                    "brand_id": shop.catalogue.stock.brand.pk,
                    "name": f"Extra {n}",
                    "currency": "EUR",
                    "denominations": [5, 10],
                    "points_per_unit": 10,
                    "validity_days": 30,
                    "country": "DE",
                    "category": "misc",
                    "source": Product.Source.STOCK,
                }
            ),
        )

    assert len(results(api.get(PRODUCTS))) == 7
    assert query_count(api, PRODUCTS) == few


def test_a_points_order_answers_201_with_the_codes_in_full_this_once(api, shop):
    response = post_order(api, shop, quantity=2)

    assert response.status_code == 201, response.content
    placed = VoucherOrder.objects.get(order_id="O1")
    first, second = Voucher.objects.filter(order=placed).order_by("id")
    document = response.json()
    assert document == order_expected(
        placed,
        [
            voucher_expected(first, code="SKY-acme-00000", pin="1234"),
            voucher_expected(second, code="SKY-acme-00001", pin="1234"),
        ],
    )
    assert {k: document[k] for k in ("order_id", "employee_id", "quantity", "funding", "programme", "points")} == {
        "order_id": "O1",
        "employee_id": "E1",
        "quantity": 2,
        "funding": "points",
        "programme": None,
        "points": 500,
    }
    assert [(v["status"], v["points"], v["denomination"]) for v in document["vouchers"]] == [("issued", 250, 25)] * 2
    assert balance(shop.tenant) == 500

    detail = api.get(f"{ORDERS}{placed.id}/")

    assert detail.status_code == 200
    assert detail.json() == order_expected(placed, [voucher_expected(first), voucher_expected(second)])
    assert [(v["code"], v["pin"]) for v in detail.json()["vouchers"]] == [("••••0000", "••••"), ("••••0001", "••••")]
    assert not VoucherReveal.objects.exists()


def test_a_programme_order_of_generated_codes_pays_from_the_budget(api, shop):
    response = post_order(api, shop, product="generated", denomination=10, funding="programme", programme="P1")

    assert response.status_code == 201, response.content
    [voucher] = Voucher.objects.filter(order__order_id="O1")
    code = response.json()["vouchers"][0]["code"]
    assert masked(voucher) == "••••" + code.replace("-", "")[-4:]
    assert response.json()["vouchers"] == [voucher_expected(voucher, code=code)]
    assert (response.json()["programme"], response.json()["vouchers"][0]["pin"]) == ("P1", None)
    assert (budget(shop.tenant), balance(shop.tenant)) == (10_000 - 120, 1_000)


def test_a_repeated_order_id_replays_200_with_the_same_codes_recorded_as_a_reveal(api, shop, tenant):
    first = post_order(api, shop, quantity=2)
    before = (balance(tenant), Voucher.objects.count())

    again = post_order(api, shop, quantity=2)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in again
    assert (balance(tenant), Voucher.objects.count()) == before
    reveals = VoucherReveal.objects.all()
    assert (
        sorted((r.reason, r.revealed_by, r.client_id) for r in reveals)
        == [("order_replay", f"client:{tenant.client.client_id}", tenant.client.pk)] * 2
    )


def test_another_client_replaying_an_order_sees_masked_codes_unless_it_may_reveal(api, shop, tenant):
    first = post_order(api, shop, quantity=2)
    command = ApiClientCreate(name="reports", allowed_scopes=[s.value for s in Scope])
    issued = api_client_create(organisation=tenant.organisation, command=command)
    other = Tenant(tenant.organisation, issued.client, issued.client_secret)

    masked_replay = post_order(other.api(scopes=["vouchers:read", "vouchers:write"]), shop, quantity=2)
    assert masked_replay.status_code == 200
    vouchers = list(Voucher.objects.filter(order__order_id="O1").order_by("id"))
    assert masked_replay.json()["vouchers"] == [voucher_expected(v) for v in vouchers]
    assert not VoucherReveal.objects.exists()

    revealed = post_order(other.api(scopes=["vouchers:write", "vouchers:reveal"]), shop, quantity=2)
    assert revealed.json() == first.json()
    assert VoucherReveal.objects.filter(client_id=issued.client.pk, reason="order_replay").count() == 2


def test_an_idempotency_key_replays_the_first_answer(api, shop):
    first = api.post(ORDERS, order_body(product=shop.catalogue.stock), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    with vouchers_nothing_changes():
        again = api.post(ORDERS, order_body(product=shop.catalogue.stock), format="json", HTTP_IDEMPOTENCY_KEY="k1")
        reused = api.post(
            ORDERS, order_body(product=shop.catalogue.stock, quantity=2), format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(reused, 422, "idempotency_key_reused")
    # the codes never rest with the key: the replay renders them again, and is recorded as a reveal
    code = first.json()["vouchers"][0]["code"]
    assert list(IdempotencyRecord.objects.values_list("response_status", "response_body")) == [(201, None)]
    assert code not in str(list(IdempotencyRecord.objects.values()))
    assert list(VoucherReveal.objects.values_list("reason", flat=True)) == ["order_replay"]


@pytest.mark.parametrize("changed", [{"quantity": 2}, {"denomination": 50}, {"employee_id": "E2"}])
def test_a_repeated_order_id_with_another_body_answers_409(api, shop, changed):
    post_order(api, shop)
    with vouchers_nothing_changes():
        response = post_order(api, shop, **changed)
    assert_problem(response, 409, "order_id_conflict", [("order_id", "order_id_conflict")])


@pytest.mark.parametrize(
    ("fields", "code", "errors"),
    [
        ({"denomination": 50}, "out_of_stock", [("quantity", "out_of_stock")]),
        ({"quantity": 4}, "out_of_stock", [("quantity", "out_of_stock")]),
        ({"product": "generated", "denomination": 20, "quantity": 5}, "insufficient_balance", []),
        ({"employee_id": "E2"}, "insufficient_balance", []),
        ({"funding": "programme", "programme": "LOW"}, "budget_exhausted", []),
        ({"denomination": 30}, "denomination_not_offered", [("denomination", "denomination_not_offered")]),
        ({"employee_id": "E3"}, "employee_inactive", [("employee_id", "employee_inactive")]),
        ({"employee_id": "E9"}, "employee_not_found", [("employee_id", "employee_not_found")]),
        ({"product_id": str(uuid.uuid4())}, "product_not_found", [("product_id", "product_not_found")]),
        ({"funding": "programme", "programme": "NOPE"}, "programme_not_found", [("programme", "programme_not_found")]),
    ],
)
def test_an_order_that_breaks_a_rule_answers_422_and_pays_nothing(api, shop, fields, code, errors):
    make_programme(shop.tenant, "LOW", budget=100)
    with vouchers_nothing_changes():
        response = post_order(api, shop, **fields)
    assert_problem(response, 422, code, errors)


def test_a_product_of_another_organisation_is_not_found(api, shop, other_tenant):
    theirs = make_catalogue(other_tenant, stock_codes=1).stock
    with vouchers_nothing_changes():
        response = api.post(ORDERS, order_body(product=theirs), format="json")
    assert_problem(response, 422, "product_not_found", [("product_id", "product_not_found")])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"quantity": 0}, [("quantity", "invalid")]),
        ({"quantity": 101}, [("quantity", "invalid")]),
        ({"denomination": "25"}, [("denomination", "invalid")]),
        ({"funding": "cash"}, [("funding", "invalid")]),
        ({"funding": "programme"}, [("programme", "required")]),
        ({"programme": "P1"}, [("programme", "invalid")]),
        ({"order_id": "has space"}, [("order_id", "invalid")]),
        ({"product_id": "nope"}, [("product_id", "invalid")]),
        ({"colour": "red"}, [("colour", "unknown_field")]),
        ({"order_id": None, "employee_id": None}, [("order_id", "required"), ("employee_id", "required")]),
    ],
)
def test_a_malformed_order_answers_400(api, shop, body, errors):
    with vouchers_nothing_changes():
        response = api.post(ORDERS, order_body(product=shop.catalogue.stock) | body, format="json")
    assert_problem(response, 400, "validation_error", errors)


def test_an_order_body_must_be_a_json_object(api, shop):
    with vouchers_nothing_changes():
        response = api.post(ORDERS, [order_body(product=shop.catalogue.stock)], format="json")
    assert_problem(response, 400, "malformed_request")


def test_ordering_needs_vouchers_write(tenant, shop):
    with vouchers_nothing_changes():
        response = tenant.api(READ_ONLY).post(ORDERS, order_body(product=shop.catalogue.stock), format="json")
    assert_problem(response, 403, "insufficient_scope")


def test_orders_are_listed_newest_first_with_codes_masked_in_constant_queries(api, shop, tenant, other_tenant):
    order(tenant, order_id="O1", product=shop.catalogue.stock, quantity=2)
    single = query_count(api, ORDERS)
    order(tenant, order_id="O2", product=shop.catalogue.generated, denomination=10)
    order(tenant, order_id="O3", product=shop.catalogue.generated, denomination=20, funding="programme", programme="P1")
    order(other_tenant, order_id="O9", product=open_shop(other_tenant).catalogue.generated, denomination=10)

    listed = results(api.get(ORDERS))

    placed = {o.order_id: o for o in VoucherOrder.objects.filter(organisation=tenant.organisation)}
    assert [o["order_id"] for o in listed] == ["O3", "O2", "O1"]
    assert listed == [
        order_expected(placed[o], [voucher_expected(v) for v in Voucher.objects.filter(order=placed[o]).order_by("id")])
        for o in ("O3", "O2", "O1")
    ]
    assert all(v["code"].startswith("••••") for o in listed for v in o["vouchers"])
    assert query_count(api, ORDERS) == single
    assert [o["order_id"] for o in results(api.get(ORDERS, {"page_size": 2}))] == ["O3", "O2"]


def test_an_order_of_another_organisation_answers_404(api, shop, other_tenant):
    theirs = order(other_tenant, product=open_shop(other_tenant).catalogue.generated, denomination=10)
    assert_problem(api.get(f"{ORDERS}{theirs.order.id}/"), 404, "voucher_order_not_found")
    assert_problem(api.get(f"{ORDERS}not-a-uuid/"), 404, "voucher_order_not_found")


def test_reading_orders_needs_vouchers_read(tenant, shop):
    placed = order(tenant, product=shop.catalogue.stock)
    no_read = tenant.api((Scope.VOUCHERS_WRITE,))
    assert_problem(no_read.get(ORDERS), 403, "insufficient_scope")
    assert_problem(no_read.get(f"{ORDERS}{placed.order.id}/"), 403, "insufficient_scope")
    assert tenant.api(READ_ONLY).get(f"{ORDERS}{placed.order.id}/").json()["created_at"] == iso(placed.order.created_at)


@pytest.mark.parametrize("path", [PRODUCTS, ORDERS, CAMPAIGNS])
def test_the_fixed_voucher_routes_are_not_taken_for_voucher_ids(api, shop, path):
    assert set(api.get(path).json()) == {"results", "next", "previous"}


@pytest.mark.parametrize(("funding", "code"), [("points", "insufficient_balance"), ("programme", "budget_exhausted")])
def test_an_order_costing_more_than_any_balance_holds_is_refused(api, shop, tenant, funding, code):
    actor = system(tenant)
    brand = services.brand_create(actor=actor, command=BrandCreate.parse({"name": "Dear"}))
    dear = services.product_create(
        actor=actor,
        command=ProductCreate.parse(
            {
                "brand_id": brand.pk,
                "name": "Costly",
                "currency": "EUR",
                "denominations": [1_000_000_000],
                "points_per_unit": 2_000_000_000,
                "validity_days": 30,
                "country": "DE",
                "category": "travel",
                "source": Product.Source.GENERATED,
            }
        ),
    )
    body = order_body(product=dear, denomination=1_000_000_000, quantity=5, funding=funding)
    if funding == "programme":
        body["programme"] = "P1"
    with vouchers_nothing_changes():
        response = api.post(ORDERS, body, format="json")
    assert_problem(response, 422, code)
    assert not VoucherOrder.objects.filter(order_id="O1").exists()
