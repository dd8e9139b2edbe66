"""The vouchers services end to end against PostgreSQL: orders, redemption, cancellation, expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plum.core.errors import ValidationFailed
from plum.core.models import OutboxEvent
from points.services import ledger_reconcile
from points.tests.factories import balance, budget, make_programme, seed_employees, system
from vouchers import services
from vouchers.commands import BrandRename, CampaignCreate, ProductCreate, ProductUpdate, VoucherCancel, VoucherRedeem
from vouchers.models import StockCode, Voucher
from vouchers.selectors import voucher_document
from vouchers.tests.factories import add_stock, fund_wallet, make_catalogue, order

pytestmark = pytest.mark.django_db


def test_points_order_from_stock_then_redeem_and_cancel(tenant):
    seed_employees(tenant, "E1")
    cat = make_catalogue(tenant, stock_codes=3)
    fund_wallet(tenant, "E1", 1000)
    placed = order(tenant, product=cat.stock, quantity=2)
    assert placed.http_status == 201
    assert balance(tenant) == 500
    codes = [v["code"] for v in placed.document["vouchers"]]
    assert len(set(codes)) == 2 and all(c.startswith("SKY-") for c in codes)
    assert StockCode.objects.filter(status="available").count() == 1
    redeemed = services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=codes[0].lower()))
    assert redeemed.status == "redeemed"
    second = placed.vouchers[1]
    cancelled = services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=second.pk))
    assert cancelled.status == "cancelled"
    assert balance(tenant) == 750
    assert StockCode.objects.filter(status="available").count() == 2
    assert ledger_reconcile() == []
    again = order(tenant, product=cat.stock, quantity=2)
    assert again.replayed and again.http_status == 200
    assert [v["code"] for v in again.document["vouchers"]] == codes


def test_programme_order_generated_and_campaign(tenant):
    seed_employees(tenant, "E1", "E2", "E3")
    cat = make_catalogue(tenant)
    make_programme(tenant, "P1", budget=10_000)
    placed = order(tenant, product=cat.generated, denomination=10, funding="programme", programme="P1")
    assert placed.document["vouchers"][0]["code"].count("-") == 4
    assert budget(tenant) == 10_000 - 120
    created = services.campaign_create(
        actor=system(tenant),
        command=CampaignCreate.parse(
            {
                "campaign_id": "C1",
                "name": "Thanks",
                "product_id": str(cat.generated.pk),
                "denomination": 20,
                "programme": "P1",
                "filter": {},
            }
        ),
    )
    assert created.http_status == 202
    campaign = created.campaign
    assert services.campaign_process(campaign.pk) is False
    campaign.refresh_from_db()
    assert campaign.status == "completed" and campaign.issued == 3
    assert budget(tenant) == 10_000 - 120 - 3 * 240
    assert Voucher.objects.filter(recipient__campaign=campaign).count() == 3
    assert services.vouchers_expire(now=timezone.now() + timedelta(days=400)) == 4
    assert ledger_reconcile() == []


def test_catalogue_edits_go_through_the_service_and_keep_what_vouchers_rely_on(tenant):
    cat = make_catalogue(tenant)
    updated = services.product_update(
        actor=system(tenant),
        command=ProductUpdate.parse({"product_id": cat.stock.pk, "name": "Sky credit", "low_stock_threshold": 3}),
    )
    assert (updated.name, updated.low_stock_threshold) == ("Sky credit", 3)
    with pytest.raises(ValidationFailed) as fixed:
        services.product_update(
            actor=system(tenant),
            command=ProductUpdate.parse({"product_id": cat.stock.pk, "currency": "USD", "denominations": [5]}),
        )
    assert [(e["field"], e["code"]) for e in fixed.value.errors] == [
        ("currency", "unknown_field"),
        ("denominations", "unknown_field"),
    ]
    with pytest.raises(ValidationFailed) as bad:
        services.product_update(
            actor=system(tenant), command=ProductUpdate.parse({"product_id": cat.stock.pk, "validity_days": 0})
        )
    assert [e["field"] for e in bad.value.errors] == ["validity_days"]

    def refused_product(name: str, denominations: list[int]) -> list[tuple]:
        with pytest.raises(ValidationFailed) as refused:
            services.product_create(
                actor=system(tenant),
                command=ProductCreate.parse(
                    {
                        "brand_id": cat.stock.brand.pk,
                        "name": name,
                        "currency": "EUR",
                        "denominations": denominations,
                        "points_per_unit": 1,
                        "country": "DE",
                        "source": "stock",
                    }
                ),
            )
        return [(e["field"], e["message"]) for e in refused.value.errors]

    assert [field for field, _ in refused_product("Sky credit", [5])] == [None]  # a product of the brand has that name
    assert [field for field, _ in refused_product("Dear", [10**9 + 1])] == ["denominations"]  # orders take 10**9
    assert refused_product("Twice", [25, 25]) == [("denominations", "Each face value once.")]
    cat.stock.refresh_from_db()
    assert (cat.stock.currency, cat.stock.denominations, cat.stock.validity_days) == ("EUR", [25, 50], 365)
    renamed = services.brand_rename(
        actor=system(tenant), command=BrandRename.parse({"brand_id": cat.stock.brand_id, "name": "  Skyways "})
    )
    assert renamed.name == "Skyways"


@pytest.mark.parametrize("source", ["stock", "generated"])
def test_every_campaign_event_is_the_voucher_document(tenant, source):
    seed_employees(tenant, "E1", "E2", "E3")
    cat = make_catalogue(tenant)
    product = cat.stock if source == "stock" else cat.generated
    if source == "stock":  # codes with and without a PIN and an expiry of their own
        add_stock(tenant, product, ["S-1", "S-2"], pin="0042", expires_at="2031-01-01T00:00:00+00:00")
        add_stock(tenant, product, ["S-3"])
    make_programme(tenant, "P1", budget=10_000)
    data = {
        "campaign_id": "C1",
        "name": "Thanks",
        "product_id": str(product.pk),
        "programme": "P1",
        "denomination": product.denominations[0],
        "recipients": ["E1", "E2", "E3"],
        "expires_at": (timezone.now() + timedelta(days=2000)).isoformat(),
    }
    campaign = services.campaign_create(actor=system(tenant), command=CampaignCreate.parse(data)).campaign
    services.campaign_process(campaign.pk)

    vouchers = Voucher.objects.filter(recipient__campaign=campaign).select_related(
        "product__brand", "employee", "order", "recipient__campaign", "programme"
    )
    events = {e.aggregate_id: e.payload for e in OutboxEvent.objects.filter(event_type="voucher.issued")}
    assert len(vouchers) == 3
    assert {str(v.pk): voucher_document(v) for v in vouchers} == events
    if source == "stock":
        assert sorted(e["pin"] is None for e in events.values()) == [False, False, True]
