"""The audit trail of the vouchers app: one entry per write, from every door, never a code or PIN; none for a
replay, a call that changes nothing or a refusal (which changes nothing either)."""

import pytest
from graphql_relay import to_global_id

from plum.core.actor import Actor
from plum.core.errors import ValidationFailed
from plum.core.scopes import Scope
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown
from points.tests.factories import budget, seed_employees, system
from tests.conftest import graphql
from vouchers import services
from vouchers.commands import BrandCreate, BrandRename, ProductCreate, ProductUpdate, StockFileImport, VoucherCancel
from vouchers.errors import VoucherError
from vouchers.models import Brand, Campaign, Product, StockImport, Voucher, VoucherOrder
from vouchers.tests.factories import CAMPAIGNS, ORDERS, REDEEM, VOUCHERS, open_shop, order_body, stock_csv

pytestmark = pytest.mark.django_db
SYSTEM = {"actor_kind": "system", "actor_id": None}


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


@pytest.fixture
def shop(tenant):
    return open_shop(tenant, stock_codes=3)


def test_a_brand_created_renamed_and_created_again(tenant):
    trail = Trail()
    brand = services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Skyway"}))
    assert shown(trail.one()) == {
        **SYSTEM,
        "action": "brand.created",
        "object_type": "brand",
        "object_id": str(brand.pk),
        "changes": {"name": [None, "Skyway"]},
    }

    trail = Trail()
    services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Skyway"}))
    trail.assert_none()  # the same name answers the brand there

    rename = BrandRename.parse({"brand_id": str(brand.pk), "name": "Skyway Air"})
    trail = Trail()
    services.brand_rename(actor=system(tenant), command=rename)
    assert shown(trail.one())["changes"] == {"name": ["Skyway", "Skyway Air"]}
    trail = Trail()
    services.brand_rename(actor=system(tenant), command=rename)
    trail.assert_none()


def test_a_refused_rename_leaves_no_entry_and_changes_nothing(tenant):
    services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Taken"}))
    brand = services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Mine"}))
    trail = Trail()
    with pytest.raises(ValidationFailed) as refused:
        services.brand_rename(
            actor=system(tenant), command=BrandRename.parse({"brand_id": str(brand.pk), "name": "Taken"})
        )
    assert [e["message"] for e in refused.value.errors] == ["Brand with this Organisation and Name already exists."]
    trail.assert_none()
    assert Brand.objects.get(pk=brand.pk).name == "Mine"


def product_command(brand, **fields) -> ProductCreate:
    values = {
        "brand_id": str(brand.pk),
        "name": "Travel credit",
        "currency": "EUR",
        "denominations": [25, 50],
        "points_per_unit": 10,
        "validity_days": 365,
        "country": "DE",
        "category": "travel",
        "source": "stock",
    }
    return ProductCreate.parse(values | fields)


def test_a_product_created_then_updated_with_exactly_the_fields_that_changed(tenant):
    brand = services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Skyway"}))
    trail = Trail()
    product = services.product_create(actor=system(tenant), command=product_command(brand))
    assert shown(trail.one()) == {
        **SYSTEM,
        "action": "voucher_product.created",
        "object_type": "voucher_product",
        "object_id": str(product.pk),
        "changes": {
            "brand_id": [None, str(brand.pk)],
            "name": [None, "Travel credit"],
            "currency": [None, "EUR"],
            "denominations": [None, [25, 50]],
            "points_per_unit": [None, 10],
            "validity_days": [None, 365],
            "country": [None, "DE"],
            "category": [None, "travel"],
            "source": [None, "stock"],
            "status": [None, "active"],
            "low_stock_threshold": [None, 10],
        },
    }

    trail = Trail()
    update = {"product_id": str(product.pk), "name": "Travel credit", "validity_days": 30, "status": "inactive"}
    services.product_update(actor=system(tenant), command=ProductUpdate.parse(update))
    assert shown(trail.one())["changes"] == {"validity_days": [365, 30], "status": ["active", "inactive"]}

    trail = Trail()
    services.product_update(actor=system(tenant), command=ProductUpdate.parse(update))
    trail.assert_none()


def test_a_refused_product_leaves_no_entry(tenant):
    brand = services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Skyway"}))
    trail = Trail()
    with pytest.raises(ValidationFailed):
        services.product_create(actor=system(tenant), command=product_command(brand, currency="EURO"))
    trail.assert_none()
    assert not Product.objects.exists()


def test_a_stock_file_is_one_entry_with_its_counts_and_no_code_or_pin(tenant):
    brand = services.brand_create(actor=system(tenant), command=BrandCreate.parse({"name": "Skyway"}))
    product = services.product_create(actor=system(tenant), command=product_command(brand))
    codes = [f"SKY-SECRET-{n:04d}" for n in range(50)]
    trail = Trail()
    imported = services.stock_import(
        actor=system(tenant),
        command=services_stock_command(product, stock_csv(codes, pin="98765")),
    )
    entry = trail.one()
    assert shown(entry) == {
        **SYSTEM,
        "action": "stock_import.imported",
        "object_type": "stock_import",
        "object_id": str(imported.pk),
        "changes": {
            "product_id": [None, str(product.pk)],
            "filename": [None, "stock.csv"],
            "status": [None, "imported"],
            "counts": [None, {"rows": 50, "imported": 50, "errors": 0}],
        },
    }
    assert_nothing_secret(entry, "98765", *codes)

    trail = Trail()  # the same codes again: rejected whole, its report stored (and told once)
    rejected = services.stock_import(
        actor=system(tenant), command=services_stock_command(product, stock_csv(codes[:2], pin="98765"))
    )
    entry = trail.one()
    assert (entry.action, entry.object_id) == ("stock_import.rejected", str(rejected.pk))
    assert entry.changes["counts"] == [None, {"rows": 2, "imported": 0, "errors": 2}]
    assert_nothing_secret(entry, "98765", *codes)
    assert StockImport.objects.filter(status="imported").count() == 1


def services_stock_command(product, content: bytes):
    return StockFileImport.parse({"product_id": str(product.pk), "content": content, "filename": "stock.csv"})


def test_an_order_over_rest_is_one_entry_without_codes_and_its_replay_none(tenant, api, shop):
    trail = Trail()
    response = api.post(ORDERS, order_body(product=shop.catalogue.stock, quantity=2), format="json")
    assert response.status_code == 201, response.content
    order = VoucherOrder.objects.get()
    vouchers = sorted(Voucher.objects.all(), key=lambda v: v.pk)
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "voucher_order.placed",
        "object_type": "voucher_order",
        "object_id": str(order.pk),
        "changes": {
            "order_id": [None, "O1"],
            "employee_id": [None, "E1"],
            "product_id": [None, str(shop.catalogue.stock.pk)],
            "denomination": [None, 25],
            "quantity": [None, 2],
            "funding": [None, "points"],
            "points": [None, 500],
            "transaction_id": [None, str(order.transaction_id)],
            "vouchers": [None, [str(v.pk) for v in vouchers]],
        },
    }
    shown_codes = [v["code"] for v in response.json()["vouchers"]]
    assert_nothing_secret(entry, *shown_codes, "1234")

    trail = Trail()
    again = api.post(ORDERS, order_body(product=shop.catalogue.stock, quantity=2), format="json")
    assert again.status_code == 200
    trail.assert_none()


def test_a_refused_order_leaves_no_entry_and_changes_nothing(api, shop):
    trail = Trail()
    response = api.post(ORDERS, order_body(product=shop.catalogue.stock, quantity=5), format="json")
    assert response.status_code == 422, response.content  # out of stock (3 codes)
    trail.assert_none()
    assert (VoucherOrder.objects.count(), Voucher.objects.count()) == (0, 0)


def test_an_order_over_graphql_is_one_entry(tenant, shop):
    trail = Trail()
    data = {
        "orderId": "G1",
        "employeeId": "E1",
        "productId": to_global_id("VoucherProduct", str(shop.catalogue.stock.pk)),
        "denomination": 25,
        "quantity": 1,
        "funding": "points",
    }
    query = """mutation($input: VoucherOrderCreateInput!) { voucherOrderCreate(input: $input) {
        order { id } errors { code } } }"""
    status, body = graphql(tenant.api((Scope.VOUCHERS_WRITE,)), query, {"input": data})
    assert status == 200 and body["data"]["voucherOrderCreate"]["errors"] == [], body
    entry = trail.one()
    assert (entry.actor_kind, entry.action, entry.object_id) == (
        "client",
        "voucher_order.placed",
        str(VoucherOrder.objects.get(order_id="G1").pk),
    )


def placed(api, shop) -> tuple[Voucher, str]:
    response = api.post(ORDERS, order_body(product=shop.catalogue.stock), format="json")
    assert response.status_code == 201, response.content
    return Voucher.objects.get(), response.json()["vouchers"][0]["code"]


def test_a_redemption_is_one_entry_without_the_code_and_a_second_none(tenant, api, shop):
    voucher, code = placed(api, shop)
    trail = Trail()
    response = api.post(REDEEM, {"code": code}, format="json")
    assert response.status_code == 200, response.content
    voucher.refresh_from_db()
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "voucher.redeemed",
        "object_type": "voucher",
        "object_id": str(voucher.pk),
        "changes": {"status": ["issued", "redeemed"], "redeemed_at": [None, voucher.redeemed_at.isoformat()]},
    }
    assert_nothing_secret(entry, code, code.replace("-", ""), "1234")

    trail = Trail()
    assert api.post(REDEEM, {"code": code}, format="json").status_code == 409
    trail.assert_none()


def test_a_cancellation_is_one_entry_and_a_second_none(tenant, api, shop):
    voucher, _ = placed(api, shop)
    trail = Trail()
    response = api.post(f"{VOUCHERS}{voucher.pk}/cancel/")
    assert response.status_code == 200, response.content
    voucher.refresh_from_db()
    assert shown(trail.one()) == {
        **client(tenant),
        "action": "voucher.cancelled",
        "object_type": "voucher",
        "object_id": str(voucher.pk),
        "changes": {
            "status": ["issued", "cancelled"],
            "cancelled_at": [None, voucher.cancelled_at.isoformat()],
            "refund_transaction_id": [None, str(voucher.refund_transaction_id)],
        },
    }
    trail = Trail()
    assert api.post(f"{VOUCHERS}{voucher.pk}/cancel/").status_code == 200
    trail.assert_none()


def test_a_reveal_is_one_entry_without_the_code(tenant, api, shop):
    voucher, code = placed(api, shop)
    trail = Trail()
    reveal = tenant.api((Scope.VOUCHERS_READ, Scope.VOUCHERS_REVEAL)).get(
        f"{VOUCHERS}{voucher.pk}/", {"reveal": "true"}
    )
    assert reveal.status_code == 200 and reveal.json()["code"] == code
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "voucher.revealed",
        "object_type": "voucher",
        "object_id": str(voucher.pk),
        "changes": {},
    }
    assert_nothing_secret(entry, code, "1234")

    trail = Trail()
    assert api.get(f"{VOUCHERS}{voucher.pk}/").status_code == 200  # masked: nothing seen, nothing told
    trail.assert_none()


def campaign_body(shop, recipients, campaign_id="C1") -> dict:
    return {
        "campaign_id": campaign_id,
        "name": "Thank you",
        "product_id": str(shop.catalogue.generated.pk),
        "denomination": 10,
        "programme": "P1",
        "recipients": recipients,
    }


def test_a_campaign_of_many_recipients_is_its_call_and_one_entry_with_its_counts(tenant, api, shop):
    recipients = [f"R{n:03d}" for n in range(60)]
    seed_employees(tenant, *recipients)
    trail = Trail()
    response = api.post(CAMPAIGNS, campaign_body(shop, recipients), format="json")
    assert response.status_code == 202, response.content
    campaign = Campaign.objects.get()
    services.campaign_process(campaign.pk, chunk_size=25)  # three chunks, sixty vouchers
    campaign.refresh_from_db()
    assert (campaign.status, campaign.issued) == ("completed", 60)
    created, completed = trail.entries()
    assert shown(created) == {
        **client(tenant),
        "action": "campaign.created",
        "object_type": "campaign",
        "object_id": str(campaign.pk),
        "changes": {
            "campaign_id": [None, "C1"],
            "name": [None, "Thank you"],
            "product_id": [None, str(shop.catalogue.generated.pk)],
            "denomination": [None, 10],
            "programme": [None, "P1"],
            "status": [None, "queued"],
            "total": [None, 60],
        },
    }
    counts = {
        "total": 60,
        "processed": 60,
        "issued": 60,
        "out_of_stock": 0,
        "employee_inactive": 0,
        "budget_exhausted": 0,
        "points_drawn": 60 * 120,
    }
    assert shown(completed) == {
        **SYSTEM,
        "action": "campaign.completed",
        "object_type": "campaign",
        "object_id": str(campaign.pk),
        "changes": {"counts": [None, counts]},
    }
    assert Voucher.objects.count() == 60  # and not one entry about any of them

    trail = Trail()
    assert api.post(CAMPAIGNS, campaign_body(shop, recipients), format="json").status_code == 200
    trail.assert_none()


def test_a_refused_campaign_leaves_no_entry_and_changes_nothing(api, shop):
    before = budget(shop.tenant)
    trail = Trail()
    response = api.post(CAMPAIGNS, campaign_body(shop, ["E1", "NOBODY"]), format="json")
    assert response.status_code == 422, response.content
    trail.assert_none()
    assert (Campaign.objects.count(), budget(shop.tenant)) == (0, before)


def test_a_failed_campaign_retried_by_staff_is_one_entry(tenant, api, shop, admin_user):
    assert api.post(CAMPAIGNS, campaign_body(shop, ["E1"]), format="json").status_code == 202
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(status="failed")
    staff = Actor.staff(tenant.organisation.id, admin_user.pk, f"staff:{admin_user.username}")
    trail = Trail()
    services.campaign_retry(actor=staff, campaign_uuid=campaign.pk)
    assert shown(trail.one()) == {
        "actor_kind": "staff",
        "actor_id": str(admin_user.pk),
        "action": "campaign.retried",
        "object_type": "campaign",
        "object_id": str(campaign.pk),
        "changes": {"status": ["failed", "processing"]},
    }
    trail = Trail()
    services.campaign_retry(actor=staff, campaign_uuid=campaign.pk)  # not failed any more: nothing to do
    trail.assert_none()


def test_a_cancel_refused_leaves_no_entry(api, shop, tenant):
    voucher, code = placed(api, shop)
    assert api.post(REDEEM, {"code": code}, format="json").status_code == 200
    trail = Trail()
    with pytest.raises(VoucherError) as refused:
        services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=voucher.pk))
    assert refused.value.code == "already_redeemed"
    trail.assert_none()
    assert Voucher.objects.get().status == "redeemed"
