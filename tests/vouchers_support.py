"""Helpers for voucher tests: a catalogue with stock, funded wallets and programmes, state snapshots."""

from contextlib import contextmanager
from dataclasses import dataclass

from plum.core.actor import Actor
from points.models import Account, LedgerEntry, LedgerTransaction, Lot
from tests.points_support import make_programme, seed_employees, system
from tests.support import database_state
from vouchers import services
from vouchers.models import Campaign, CampaignRecipient, Product, StockCode, StockImport, Voucher, VoucherOrder

ORDERS = "/api/v1/vouchers/orders/"
VOUCHERS = "/api/v1/vouchers/"
PRODUCTS = "/api/v1/vouchers/products/"
CAMPAIGNS = "/api/v1/vouchers/campaigns/"
REDEEM = "/api/v1/vouchers/redeem/"


def vouchers_state() -> dict:
    """Every row a voucher write may touch, in every organisation, with the ledger and the outbox."""
    return {
        **database_state(),
        "orders": list(VoucherOrder.objects.order_by("id").values()),
        "vouchers": list(Voucher.objects.order_by("id").values()),
        "stock": list(StockCode.objects.order_by("id").values()),
        "imports": list(StockImport.objects.order_by("id").values()),
        "campaigns": list(Campaign.objects.order_by("id").values()),
        "recipients": list(CampaignRecipient.objects.order_by("id").values()),
        "accounts": list(Account.objects.order_by("id").values()),
        "transactions": list(LedgerTransaction.objects.order_by("id").values()),
        "entries": list(LedgerEntry.objects.order_by("id").values()),
        "lots": list(Lot.objects.order_by("id").values()),
    }


@contextmanager
def vouchers_nothing_changes():
    before = vouchers_state()
    yield
    assert vouchers_state() == before


def stock_csv(codes: list[str], denomination: int = 25, pin: str = "", expires_at: str = "") -> bytes:
    lines = ["code,pin,denomination,expires_at"]
    lines += [f"{code},{pin},{denomination},{expires_at}" for code in codes]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Catalogue:
    stock: Product  # EUR 25/50, codes imported
    generated: Product  # GBP 10/20, Plum's own codes


def make_catalogue(tenant, *, stock_codes: int = 0, pin: str = "1234") -> Catalogue:
    actor = system(tenant)
    brand = services.brand_create(actor=actor, name="Skyway")
    stock = services.product_create(
        actor=actor,
        brand=brand,
        name="Travel credit",
        currency="EUR",
        denominations=[25, 50],
        points_per_unit=10,
        validity_days=365,
        country="DE",
        category="travel",
        source=Product.Source.STOCK,
    )
    other = services.brand_create(actor=actor, name="Bookworm")
    generated = services.product_create(
        actor=actor,
        brand=other,
        name="Gift card",
        currency="GBP",
        denominations=[10, 20],
        points_per_unit=12,
        validity_days=180,
        country="GB",
        category="books",
        source=Product.Source.GENERATED,
    )
    if stock_codes:
        add_stock(tenant, stock, [f"SKY-{tenant.organisation.slug}-{n:05d}" for n in range(stock_codes)], pin=pin)
    return Catalogue(stock, generated)


def add_stock(tenant, product: Product, codes: list[str], denomination: int = 25, **row) -> StockImport:
    record = services.stock_import(
        actor=system(tenant), product_id=product.pk, content=stock_csv(codes, denomination, **row), filename="t.csv"
    )
    assert record.status == StockImport.Status.IMPORTED, record.errors
    return record


def fund_wallet(tenant, employee_id: str, points: int, programme="FUND") -> None:
    """Credit `points` to an employee's wallet through a points request (the programme is made if new)."""
    from points.models import Programme
    from points.services import points_request_submit

    if not Programme.objects.filter(organisation=tenant.organisation, code=programme).exists():
        make_programme(tenant, programme, budget=10**9, max_points_per_request=10**9)
    points_request_submit(
        actor=system(tenant),
        data={
            "request_id": f"fund-{employee_id}-{points}",
            "employee_id": employee_id,
            "points": points,
            "programme": programme,
        },
    )


def order(tenant, **fields) -> services.Placed:
    return services.voucher_order_place(actor=system(tenant), data=order_body(**fields))


def order_body(order_id="O1", employee_id="E1", product=None, denomination=25, quantity=1, funding="points", **rest):
    body = {
        "order_id": order_id,
        "employee_id": employee_id,
        "product_id": str(product.pk),
        "denomination": denomination,
        "quantity": quantity,
        "funding": funding,
        **rest,
    }
    return body


__all__ = ["Actor", "seed_employees"]
