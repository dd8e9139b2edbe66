"""Root queries of the vouchers app, each scoped by its selector to the caller's organisation."""

import graphene

from plum.api.auth import actor_of
from plum.api.graphql.connection import PlumConnectionField
from plum.api.graphql.inputs import plain
from plum.api.graphql.scalars import DateTime
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope
from vouchers import selectors
from vouchers.api.graphql.types import (
    CampaignNode,
    CampaignStatus,
    VoucherNode,
    VoucherOrderNode,
    VoucherProductNode,
    VoucherStatus,
    uuid_of,
    with_vouchers,
)

PAGE_ARGUMENTS = ("first", "last", "before", "after", "offset")


def filters_of(arguments: dict) -> dict:
    return plain({k: v for k, v in arguments.items() if k not in PAGE_ARGUMENTS and v is not None})


class VouchersQuery(graphene.ObjectType):
    voucher_products = PlumConnectionField(
        VoucherProductNode,
        country=graphene.String(),
        currency=graphene.String(),
        brand=graphene.String(description="The brand's name"),
        category=graphene.String(),
    )
    vouchers = PlumConnectionField(
        VoucherNode,
        employee_id=graphene.String(),
        status=VoucherStatus(),
        product_id=graphene.ID(description="A VoucherProduct's id"),
        campaign=graphene.String(description="A campaign_id"),
        expires_before=DateTime(),
    )
    voucher_orders = PlumConnectionField(VoucherOrderNode, order_id=graphene.String(), employee_id=graphene.String())
    campaigns = PlumConnectionField(CampaignNode, campaign_id=graphene.String(), status=CampaignStatus())

    def resolve_voucher_products(root, info, **kwargs):
        products = selectors.product_list(actor=actor_of(info), filters=filters_of(kwargs))
        return products.order_by("brand__name", "name", "id")

    def resolve_vouchers(root, info, **kwargs):
        filters = filters_of(kwargs)
        if "product_id" in filters:
            filters["product_id"] = uuid_of(VoucherProductNode, filters["product_id"])
            if filters["product_id"] is None:
                # Never None: graphene-django would fall back to every row of the table.
                return selectors.voucher_list(actor=actor_of(info)).none()
        if "expires_before" in filters:
            filters["expires_before"] = filters["expires_before"].isoformat()
        vouchers = selectors.voucher_list(actor=actor_of(info), filters=filters)
        return vouchers.order_by("-issued_at", "-id")

    def resolve_voucher_orders(root, info, order_id=None, employee_id=None, **kwargs):
        orders = selectors.order_list(actor=actor_of(info)).prefetch_related(with_vouchers(info))
        if order_id is not None:
            orders = orders.filter(order_id=order_id)
        if employee_id is not None:
            orders = orders.filter(employee__employee_id=employee_id)
        return orders.order_by("-created_at", "-id")

    def resolve_campaigns(root, info, campaign_id=None, status=None, **kwargs):
        campaigns = selectors.campaign_list(actor=actor_of(info))
        if campaign_id is not None:
            campaigns = campaigns.filter(campaign_id=campaign_id)
        if status is not None:
            campaigns = campaigns.filter(status=plain(status))
        return campaigns.order_by("-created_at", "-id")


register_query_scopes(
    {
        "voucherProducts": Scope.VOUCHERS_READ,
        "vouchers": Scope.VOUCHERS_READ,
        "voucherOrders": Scope.VOUCHERS_READ,
        "campaigns": Scope.VOUCHERS_READ,
    }
)
