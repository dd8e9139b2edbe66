"""The documents the vouchers REST door answers (built by vouchers.selectors), as OpenAPI shows them."""

from rest_framework import serializers

from plum.api.openapi import enum_field
from vouchers import selectors
from vouchers.models import Campaign, CampaignRecipient, Product, Voucher
from vouchers.models.vouchers import Funding


class ProductStockOutput(serializers.Serializer):
    denomination = serializers.IntegerField()
    available = serializers.IntegerField(help_text="Codes in stock for this denomination")


class VoucherProductOutput(serializers.Serializer):
    id = serializers.UUIDField()
    brand = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField(help_text="ISO 4217")
    denominations = serializers.ListField(child=serializers.IntegerField(), help_text="Face values, whole units")
    points_per_unit = serializers.IntegerField(help_text="A voucher costs denomination * points_per_unit points")
    validity_days = serializers.IntegerField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 where it can be used")
    category = serializers.CharField()
    source = enum_field("VoucherProductSource", Product.Source.choices)
    in_stock = serializers.BooleanField(help_text="At least one denomination can be ordered now")
    stock = ProductStockOutput(many=True, allow_null=True, help_text="Null for Plum's own codes: never run out")

    def to_representation(self, instance):
        return selectors.product_document(instance, self.context["stock_levels"].get(instance.pk))


class VoucherOutput(serializers.Serializer):
    id = serializers.UUIDField()
    order_id = serializers.CharField(allow_null=True, help_text="Your order_id; null for campaign vouchers")
    campaign_id = serializers.CharField(allow_null=True, help_text="Your campaign_id; null for ordered vouchers")
    employee_id = serializers.CharField()
    product_id = serializers.UUIDField()
    brand = serializers.CharField()
    product = serializers.CharField()
    denomination = serializers.IntegerField()
    currency = serializers.CharField()
    points = serializers.IntegerField(help_text="Points this voucher cost")
    funding = enum_field("VoucherFunding", Funding.choices)
    programme = serializers.CharField(allow_null=True, help_text="Programme code, for programme funding")
    status = enum_field("VoucherStatus", Voucher.Status.choices)
    code = serializers.CharField(help_text="Masked (`••••1234`) except in the answer to the order and a reveal")
    pin = serializers.CharField(allow_null=True, help_text="Masked like the code; null when the code has none")
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    redeemed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    expired_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return selectors.voucher_document(instance)


class VoucherOrderOutput(serializers.Serializer):
    """Documents the answer, which selectors.order_document builds."""

    id = serializers.UUIDField()
    order_id = serializers.CharField()
    employee_id = serializers.CharField()
    product_id = serializers.UUIDField()
    denomination = serializers.IntegerField()
    quantity = serializers.IntegerField()
    funding = enum_field("VoucherFunding", Funding.choices)
    programme = serializers.CharField(allow_null=True)
    points = serializers.IntegerField(help_text="Points paid for the whole order")
    transaction_id = serializers.UUIDField(allow_null=True, help_text="The ledger transaction of the payment")
    created_at = serializers.DateTimeField()
    vouchers = VoucherOutput(many=True, help_text="Codes in full in the answer to the order, masked afterwards")


class CampaignOutput(serializers.Serializer):
    id = serializers.UUIDField()
    campaign_id = serializers.CharField()
    name = serializers.CharField()
    product_id = serializers.UUIDField()
    denomination = serializers.IntegerField()
    programme = serializers.CharField()
    status = enum_field("CampaignStatus", Campaign.Status.choices)
    total = serializers.IntegerField(help_text="Recipients")
    processed = serializers.IntegerField()
    issued = serializers.IntegerField()
    out_of_stock = serializers.IntegerField()
    employee_inactive = serializers.IntegerField()
    budget_exhausted = serializers.IntegerField()
    points_drawn = serializers.IntegerField(help_text="Points paid from the budget so far")
    expires_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return selectors.campaign_document(instance)


class CampaignRecipientOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in the recipients as sent (or by employee id)")
    employee_id = serializers.CharField()
    status = enum_field("CampaignRecipientStatus", CampaignRecipient.Status.choices)
    voucher_id = serializers.UUIDField(allow_null=True)
    processed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return selectors.recipient_document(instance)


def order_output(order, vouchers) -> dict:
    """An order with its vouchers masked: only the answer to the order itself shows the codes."""
    return selectors.order_document(order, VoucherOutput(vouchers, many=True).data)
