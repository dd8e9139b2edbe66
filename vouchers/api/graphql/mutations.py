"""Mutations of the vouchers app: adapters of a few lines around the same services as REST."""

import graphene
from django.db.models import prefetch_related_objects
from graphql_relay import to_global_id

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.commands import command_fields, parse_input
from plum.api.graphql.errors import error_type
from plum.api.graphql.scalars import DateTime
from plum.api.scopes import Scope
from users.api.graphql import EmployeeStatus
from vouchers import commands, services
from vouchers.api.graphql.types import (
    CampaignNode,
    VoucherFunding,
    VoucherNode,
    VoucherOrderNode,
    VoucherProductNode,
    VoucherStatus,
    uuid_of,
    with_vouchers,
)
from vouchers.errors import VoucherError, VoucherErrorCode

VoucherErrorType = error_type("Voucher", VoucherErrorCode)


def product_uuid(global_id: str) -> str:
    """The UUID of a VoucherProduct id; an id of anything else names no product of this organisation."""
    value = uuid_of(VoucherProductNode, global_id)
    if value is None:
        raise VoucherError(
            VoucherErrorCode.PRODUCT_NOT_FOUND, "No such product in this organisation.", field="product_id"
        )
    return value


class IssuedVoucher(graphene.ObjectType):
    """A voucher in the answer to its order (a dict of the service's document): code and PIN in full."""

    id = graphene.ID(required=True, description="The Voucher's id")
    code = graphene.String(required=True)
    pin = graphene.String(description="Null when the code has no PIN")
    status = graphene.Field(VoucherStatus, required=True)
    denomination = graphene.Int(required=True)
    currency = graphene.String(required=True)
    points = graphene.BigInt(required=True)
    expires_at = DateTime(required=True)

    def resolve_id(self, info):
        return to_global_id(VoucherNode._meta.name, self["id"])


class VoucherOrderCreate(BaseMutation):
    order = graphene.Field(VoucherOrderNode, description="Its `vouchers` are masked, as in every query")
    vouchers = graphene.List(
        graphene.NonNull(IssuedVoucher),
        description="The codes in full, shown only here; a replay shows them again and is recorded",
    )
    replayed = graphene.Boolean(description="True when this order_id was sent before with the same order")

    class Meta:
        scopes = (Scope.VOUCHERS_WRITE,)
        error_type = VoucherErrorType

    Input = command_fields(commands.VoucherOrderPlace, types={"product_id": graphene.ID, "funding": VoucherFunding})

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.VoucherOrderPlace, data, product_id=product_uuid(data["product_id"]))
        placed = services.voucher_order_place(actor=actor_of(info), command=command)
        prefetch_related_objects([placed.order], with_vouchers(info))
        return cls(order=placed.order, vouchers=placed.document["vouchers"], replayed=placed.replayed)


class VoucherMutation(BaseMutation):
    voucher = graphene.Field(VoucherNode)

    class Meta:
        abstract = True


class VoucherCancel(VoucherMutation):
    """Points go back where they came from; cancelling a cancelled voucher answers it as it is."""

    class Meta:
        scopes = (Scope.VOUCHERS_WRITE,)
        error_type = VoucherErrorType

    class Input:
        id = graphene.ID(required=True, description="The Voucher's id")

    @classmethod
    def perform(cls, info, id):
        command = commands.VoucherCancel.parse({"voucher_id": uuid_of(VoucherNode, id)})
        return cls(voucher=services.voucher_cancel(actor=actor_of(info), command=command))


class VoucherRedeem(VoucherMutation):
    class Meta:
        scopes = (Scope.VOUCHERS_WRITE,)
        error_type = VoucherErrorType

    class Input:
        code = graphene.String(required=True, description="The code as printed; case, spaces and hyphens aside")

    @classmethod
    def perform(cls, info, code):
        command = commands.VoucherRedeem.parse({"code": code})
        return cls(voucher=services.voucher_redeem(actor=actor_of(info), command=command))


class CampaignRecipientFilterInput(graphene.InputObjectType):
    """Every employee matching all the given fields; `{}` means every active employee."""

    business_unit = graphene.String(description="Business unit code")
    cost_centre = graphene.String(description="Cost centre code")
    country = graphene.String()
    department = graphene.String()
    status = EmployeeStatus(description="active unless given")


class CampaignCreate(BaseMutation):
    """Queue a campaign; its vouchers are issued in the background, its counts show the progress."""

    campaign = graphene.Field(CampaignNode)
    replayed = graphene.Boolean(description="True when this campaign_id was sent before with the same campaign")

    class Meta:
        scopes = (Scope.VOUCHERS_WRITE,)
        error_type = VoucherErrorType

    Input = command_fields(
        commands.CampaignCreate,
        types={"product_id": graphene.ID, "filter": CampaignRecipientFilterInput, "expires_at": DateTime},
    )

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.CampaignCreate, data, product_id=product_uuid(data["product_id"]))
        created = services.campaign_create(actor=actor_of(info), command=command)
        return cls(campaign=created.campaign, replayed=created.replayed)


class VouchersMutation(graphene.ObjectType):
    voucher_order_create = VoucherOrderCreate.Field()
    voucher_cancel = VoucherCancel.Field()
    voucher_redeem = VoucherRedeem.Field()
    campaign_create = CampaignCreate.Field()
