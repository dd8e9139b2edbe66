"""factory_boy factories and world builders for the vouchers tests, all through the vouchers services.

The catalogue (brands, products, stock imports) and orders are made the way staff and clients make
them, with their typed commands; wallets and programmes are funded through the points app's factories.
"""

from dataclasses import dataclass

import factory

from points.models import Programme
from points.tests.factories import make_programme, seed_employees, submit, system
from vouchers import commands, services
from vouchers.models import Campaign, Product, StockImport

ORDERS = "/api/v1/vouchers/orders/"
VOUCHERS = "/api/v1/vouchers/"
PRODUCTS = "/api/v1/vouchers/products/"
CAMPAIGNS = "/api/v1/vouchers/campaigns/"
REDEEM = "/api/v1/vouchers/redeem/"


SERVICES = {
    commands.BrandCreate: services.brand_create,
    commands.ProductCreate: services.product_create,
    commands.StockFileImport: services.stock_import,
}


class _ServiceFactory(factory.Factory):
    """The command built from the factory's fields, handed to its service as the tenant's system actor."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, tenant, **fields):
        return SERVICES[model_class](actor=system(tenant), command=model_class.parse(fields))

    _build = _create


class BrandFactory(_ServiceFactory):
    class Meta:
        model = commands.BrandCreate

    name = factory.Sequence(lambda n: f"Brand {n}")


class ProductFactory(_ServiceFactory):
    """A stock product (EUR 25/50, 10 points a unit) unless told otherwise; `brand` is a Brand."""

    class Meta:
        model = commands.ProductCreate
        exclude = ("brand",)

    brand = None
    brand_id = factory.LazyAttribute(lambda product: product.brand.pk)
    name = factory.Sequence(lambda n: f"Product {n}")
    currency = "EUR"
    denominations = factory.LazyFunction(lambda: [25, 50])
    points_per_unit = 10
    validity_days = 365
    country = "DE"
    category = "travel"
    source = Product.Source.STOCK.value


def stock_csv(codes: list[str], denomination: int = 25, pin: str = "", expires_at: str = "") -> bytes:
    lines = ["code,pin,denomination,expires_at"]
    lines += [f"{code},{pin},{denomination},{expires_at}" for code in codes]
    return ("\n".join(lines) + "\n").encode()


class StockImportFactory(_ServiceFactory):
    """An import of `codes` (all of one denomination) into a stock `product`, through stock_import."""

    class Meta:
        model = commands.StockFileImport
        exclude = ("product", "codes", "denomination", "pin", "expires_at")

    product = None
    codes = factory.LazyFunction(list)
    denomination = 25
    pin = ""
    expires_at = ""
    product_id = factory.LazyAttribute(lambda stock: stock.product.pk)
    content = factory.LazyAttribute(
        lambda stock: stock_csv(stock.codes, stock.denomination, stock.pin, stock.expires_at)
    )
    filename = "t.csv"


def add_stock(tenant, product: Product, codes: list[str], denomination: int = 25, **row) -> StockImport:
    record = StockImportFactory(tenant=tenant, product=product, codes=codes, denomination=denomination, **row)
    assert record.status == StockImport.Status.IMPORTED, record.errors
    return record


@dataclass
class Catalogue:
    stock: Product  # EUR 25/50, codes imported
    generated: Product  # GBP 10/20, Plum's own codes


def make_catalogue(tenant, *, stock_codes: int = 0, pin: str = "1234") -> Catalogue:
    stock = ProductFactory(tenant=tenant, brand=BrandFactory(tenant=tenant, name="Skyway"), name="Travel credit")
    generated = ProductFactory(
        tenant=tenant,
        brand=BrandFactory(tenant=tenant, name="Bookworm"),
        name="Gift card",
        currency="GBP",
        denominations=[10, 20],
        points_per_unit=12,
        validity_days=180,
        country="GB",
        category="books",
        source=Product.Source.GENERATED.value,
    )
    if stock_codes:
        add_stock(tenant, stock, [f"SKY-{tenant.organisation.slug}-{n:05d}" for n in range(stock_codes)], pin=pin)
    return Catalogue(stock, generated)


def fund_wallet(tenant, employee_id: str, points: int, programme="FUND") -> None:
    """Credit `points` to an employee's wallet through a points request (the programme is made if new)."""
    if not Programme.objects.filter(organisation=tenant.organisation, code=programme).exists():
        make_programme(tenant, programme, budget=10**9, max_points_per_request=10**9)
    submit(
        tenant, request_id=f"fund-{employee_id}-{points}", employee_id=employee_id, points=points, programme=programme
    )


def order_body(order_id="O1", employee_id="E1", product=None, denomination=25, quantity=1, funding="points", **rest):
    return {
        "order_id": order_id,
        "employee_id": employee_id,
        "product_id": str(product.pk),
        "denomination": denomination,
        "quantity": quantity,
        "funding": funding,
        **rest,
    }


def order(tenant, **fields) -> services.Placed:
    """An order placed through voucher_order_place (fields as order_body takes them)."""
    command = commands.VoucherOrderPlace.parse(order_body(**fields))
    return services.voucher_order_place(actor=system(tenant), command=command)


def campaign_body(campaign_id="C1", recipients=("E1",), product=None, denomination=20, **fields) -> dict:
    return {
        "campaign_id": campaign_id,
        "name": "Thanks",
        "product_id": str(product.pk),
        "denomination": denomination,
        "programme": "P1",
        "recipients": list(recipients),
        **fields,
    }


def create_campaign(tenant, **fields) -> services.CampaignCreated:
    """A campaign stored and queued through campaign_create (fields as campaign_body takes them)."""
    command = commands.CampaignCreate.parse(campaign_body(**fields))
    return services.campaign_create(actor=system(tenant), command=command)


def campaign(tenant, **fields) -> Campaign:
    """A campaign created and processed whole (on_commit does not fire inside a test's transaction)."""
    created = create_campaign(tenant, **fields)
    services.campaign_process(created.campaign.pk)
    created.campaign.refresh_from_db()
    return created.campaign


def redeem(tenant, code: str):
    return services.voucher_redeem(actor=system(tenant), command=commands.VoucherRedeem(code=code))


def cancel(tenant, voucher_id):
    return services.voucher_cancel(actor=system(tenant), command=commands.VoucherCancel(voucher_id=voucher_id))


def reveal(tenant, voucher_id) -> dict:
    return services.voucher_reveal(actor=system(tenant), command=commands.VoucherReveal(voucher_id=voucher_id))


@dataclass
class Shop:
    tenant: object
    catalogue: Catalogue


def open_shop(tenant, *, stock_codes: int = 3, wallet: int = 1_000, budget: int = 10_000) -> Shop:
    """E1 active with `wallet` points, E2 active with none, E3 inactive; P1 with `budget` points;
    the stock product (EUR 25/50, 10 points a unit) holds `stock_codes` codes of 25 with PIN 1234."""
    seed_employees(tenant, "E1", "E2")
    seed_employees(tenant, "E3", status="inactive")
    catalogue = make_catalogue(tenant, stock_codes=stock_codes)
    if wallet:
        fund_wallet(tenant, "E1", wallet)
    make_programme(tenant, "P1", budget=budget)
    return Shop(tenant, catalogue)


def make_shop(tenant, other_tenant) -> Catalogue:
    """acme: O1 two stock codes for E1 (one redeemed), O2 a generated code for E2 paid by P1, campaign C1
    giving E1 a generated 20; globex has the same catalogue and its own O1."""
    seed_employees(tenant, "E1", "E2")
    cat = make_catalogue(tenant, stock_codes=4)
    fund_wallet(tenant, "E1", 1_000)
    make_programme(tenant, "P1", budget=10_000)
    first = order(tenant, product=cat.stock, quantity=2)
    redeem(tenant, first.document["vouchers"][0]["code"])
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
