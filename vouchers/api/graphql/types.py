"""Types of the vouchers GraphQL door: products, vouchers (codes masked), orders and campaigns."""

import graphene
from django.db.models import Prefetch
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import from_global_id, to_global_id

from plum.api.auth import actor_of
from plum.api.graphql.connection import CountedConnection
from vouchers import selectors
from vouchers.codes import MASK, masked
from vouchers.models import Campaign, Product, Voucher, VoucherOrder
from vouchers.models.vouchers import Funding

VoucherStatus = graphene.Enum("VoucherStatus", [(v, v) for v in Voucher.Status.values])
VoucherFunding = graphene.Enum(
    "VoucherFunding", [(v, v) for v in Funding.values], description="Paid by the employee's wallet or a programme."
)
VoucherProductSource = graphene.Enum(
    "VoucherProductSource", [(v, v) for v in Product.Source.values], description="Generated products never run out."
)
CampaignStatus = graphene.Enum("CampaignStatus", [(v, v) for v in Campaign.Status.values])


def uuid_of(node: type[DjangoObjectType], global_id) -> str | None:
    """The UUID inside a global id of `node`; any other id names nothing here (not found)."""
    type_name, value = from_global_id(global_id)
    return value if type_name == node._meta.name else None


class VoucherStockLevel(graphene.ObjectType):
    denomination = graphene.Int(required=True)
    available = graphene.Int(required=True, description="Codes in stock for this face value")


class ProductConnection(CountedConnection):
    """Loads the stock levels of the whole page in one query: a page of many products costs no more."""

    class Meta:
        abstract = True

    def resolve_edges(self, info):
        products = [edge.node for edge in self.edges]
        levels = selectors.stock_levels([p.pk for p in products])
        for product in products:
            product.document = selectors.product_document(product, levels.get(product.pk))
        return self.edges


class VoucherProductNode(DjangoObjectType):
    brand = graphene.String(required=True, description="The brand's name")
    source = graphene.Field(VoucherProductSource, required=True)
    in_stock = graphene.Boolean(required=True, description="At least one denomination can be ordered now")
    stock = graphene.List(
        graphene.NonNull(VoucherStockLevel), description="Codes in stock by denomination; null for generated products"
    )

    class Meta:
        model = Product
        name = "VoucherProduct"
        interfaces = (relay.Node,)
        connection_class = ProductConnection
        fields = ("id", "name", "currency", "denominations", "points_per_unit", "validity_days", "country", "category")

    def resolve_brand(self, info):
        return self.brand.name

    def resolve_source(self, info):
        return str(self.source)

    def resolve_in_stock(self, info):
        return self.document["in_stock"]  # set by ProductConnection, as REST's, from the same selector

    def resolve_stock(self, info):
        return self.document["stock"]


class VoucherNode(DjangoObjectType):
    """A voucher as every query shows it: its code masked, never the stored ciphertext or hash."""

    status = graphene.Field(VoucherStatus, required=True)
    code = graphene.String(required=True, description="Masked (••••1234); in full only in voucherOrderCreate")
    pin = graphene.String(description="Masked; null when the code has no PIN")
    employee_id = graphene.String(required=True)
    product_id = graphene.ID(required=True, description="The VoucherProduct's id")
    brand = graphene.String(required=True)
    product_name = graphene.String(required=True)
    currency = graphene.String(required=True)
    funding = graphene.Field(VoucherFunding, required=True)
    programme = graphene.String(description="Programme code, when a programme paid")
    order_id = graphene.String(description="Your order_id, when the voucher was ordered")
    campaign_id = graphene.String(description="The campaign_id, when a campaign issued the voucher")

    class Meta:
        model = Voucher
        name = "Voucher"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "denomination",
            "points",
            "issued_at",
            "expires_at",
            "redeemed_at",
            "cancelled_at",
            "expired_at",
        )

    def resolve_status(self, info):
        return str(self.status)

    def resolve_code(self, info):
        return masked(self.code_last4)

    def resolve_pin(self, info):
        return MASK if self.pin_ciphertext is not None else None

    def resolve_employee_id(self, info):
        return self.employee.employee_id

    def resolve_product_id(self, info):
        return to_global_id(VoucherProductNode._meta.name, str(self.product_id))

    def resolve_brand(self, info):
        return self.product.brand.name

    def resolve_product_name(self, info):
        return self.product.name

    def resolve_currency(self, info):
        return self.product.currency

    def resolve_funding(self, info):
        return str(self.funding)

    def resolve_programme(self, info):
        return self.programme.code if self.programme_id else None

    def resolve_order_id(self, info):
        return self.order.order_id if self.order_id else None

    def resolve_campaign_id(self, info):
        return self.recipient.campaign.campaign_id if self.recipient_id else None


def with_vouchers(info) -> Prefetch:
    """Each order's vouchers in one query for any number of orders, in issue order."""
    return Prefetch("vouchers", queryset=selectors.voucher_list(actor=actor_of(info)).order_by("id"))


class VoucherOrderNode(DjangoObjectType):
    employee_id = graphene.String(required=True)
    product_id = graphene.ID(required=True, description="The VoucherProduct's id")
    funding = graphene.Field(VoucherFunding, required=True)
    programme = graphene.String(description="Programme code, when a programme paid")
    transaction_id = graphene.UUID(description="The ledger transaction of the payment")
    vouchers = graphene.List(graphene.NonNull(VoucherNode), required=True, description="Codes masked")

    class Meta:
        model = VoucherOrder
        name = "VoucherOrder"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "order_id", "denomination", "quantity", "points", "created_at")

    def resolve_employee_id(self, info):
        return self.employee.employee_id

    def resolve_product_id(self, info):
        return to_global_id(VoucherProductNode._meta.name, str(self.product_id))

    def resolve_funding(self, info):
        return str(self.funding)

    def resolve_programme(self, info):
        return self.programme.code if self.programme_id else None

    def resolve_transaction_id(self, info):
        return self.transaction_id

    def resolve_vouchers(self, info):
        return self.vouchers.all()  # prefetched with_vouchers by whoever loaded the order


class CampaignNode(DjangoObjectType):
    status = graphene.Field(CampaignStatus, required=True)
    product_id = graphene.ID(required=True, description="The VoucherProduct's id")
    programme = graphene.String(required=True, description="Code of the programme that pays")
    points_drawn = graphene.BigInt(required=True, description="Points paid from the budget so far")

    class Meta:
        model = Campaign
        name = "Campaign"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "campaign_id",
            "name",
            "denomination",
            "expires_at",
            "total",
            "processed",
            "issued",
            "out_of_stock",
            "employee_inactive",
            "budget_exhausted",
            "last_error",
            "created_at",
            "started_at",
            "completed_at",
        )

    def resolve_status(self, info):
        return str(self.status)

    def resolve_product_id(self, info):
        return to_global_id(VoucherProductNode._meta.name, str(self.product_id))

    def resolve_programme(self, info):
        return self.programme.code
