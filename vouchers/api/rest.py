"""REST door of the vouchers app: thin adapters around vouchers.services and vouchers.selectors."""

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from vouchers import selectors, services
from vouchers.filters import ProductFilter, VoucherFilter
from vouchers.models import Campaign, CampaignRecipient, Product, Voucher
from vouchers.models.catalogue import MAX_DENOMINATION
from vouchers.models.vouchers import Funding
from vouchers.services.campaigns import FILTER_FIELDS, MAX_RECIPIENTS
from vouchers.services.lifecycle import MAX_CODE_LENGTH
from vouchers.services.orders import MAX_QUANTITY

READ, WRITE, REVEAL = Scope.VOUCHERS_READ, Scope.VOUCHERS_WRITE, Scope.VOUCHERS_REVEAL
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
REVEAL_PARAMETER = OpenApiParameter(
    "reveal",
    OpenApiTypes.BOOL,
    description="`true` answers the code and PIN in full; needs the scope vouchers:reveal too, and is recorded.",
)
REVEAL_VALUES = ("true", "false")


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


# vouchers.services.shapes.reference_ok: 1 to 128 printable ASCII characters, no spaces (a test compares them)
REFERENCE_PATTERN = r"^[\x21-\x7e]{1,128}$"
KEY_MAX_LENGTH = 128  # employee ids and programme codes the vouchers services take


def _reference(**options) -> serializers.RegexField:
    return serializers.RegexField(REFERENCE_PATTERN, min_length=1, max_length=128, **options)


def _key(**options) -> serializers.CharField:
    return serializers.CharField(min_length=1, max_length=KEY_MAX_LENGTH, **options)


def _denomination() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_DENOMINATION, help_text="One of the product's denominations (else 422)"
    )


class _VoucherOrderFields(serializers.Serializer):
    """The vouchers service validates it (vouchers.services.orders); this documents the same constants."""

    order_id = _reference(help_text="Your own reference, printable ASCII without spaces; idempotent forever")
    employee_id = _key()
    product_id = serializers.UUIDField()
    denomination = _denomination()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, required=False, default=1)


class VoucherOrderPointsInput(_VoucherOrderFields):
    funding = serializers.ChoiceField(choices=[Funding.POINTS.value], help_text="Paid from the employee's wallet")


class VoucherOrderProgrammeInput(_VoucherOrderFields):
    funding = serializers.ChoiceField(choices=[Funding.PROGRAMME.value], help_text="Paid from the programme's budget")
    programme = _key(help_text="Programme code")


VOUCHER_ORDER_INPUT = PolymorphicProxySerializer(
    component_name="VoucherOrderInput",
    serializers={Funding.POINTS.value: VoucherOrderPointsInput, Funding.PROGRAMME.value: VoucherOrderProgrammeInput},
    resource_type_field_name="funding",
)


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


class RedeemInput(serializers.Serializer):
    code = serializers.RegexField(
        r"[^\s-]",
        max_length=MAX_CODE_LENGTH,
        help_text="As printed: case, spaces and hyphens do not matter (not only spaces and hyphens)",
    )


FILTER_VALUE_MAX_LENGTH = 150  # vouchers.services.campaigns checks the same (a test compares them)

CampaignFilter = type(
    "CampaignFilter",
    (serializers.Serializer,),
    {
        name: serializers.CharField(min_length=1, max_length=FILTER_VALUE_MAX_LENGTH, required=False)
        for name in sorted(FILTER_FIELDS)
    },
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
        "minItems": 1,
        "maxItems": MAX_RECIPIENTS,
        "uniqueItems": True,
    }
)
class RecipientsField(serializers.ListField):
    pass


class _CampaignFields(serializers.Serializer):
    """The vouchers service validates it (vouchers.services.campaigns); this documents the same constants."""

    campaign_id = _reference(help_text="Your own reference, printable ASCII without spaces; idempotent forever")
    name = serializers.CharField(min_length=1, max_length=Campaign._meta.get_field("name").max_length)
    product_id = serializers.UUIDField()
    denomination = _denomination()
    programme = _key(help_text="Programme code; its budget pays")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="A future time with its offset; empty: the product's validity"
    )


class CampaignRecipientsInput(_CampaignFields):
    recipients = RecipientsField(help_text="Employee ids of this organisation, each once")


class CampaignFilterInput(_CampaignFields):
    filter = CampaignFilter(help_text="Every employee matching all of these; without `status`, active ones")


CAMPAIGN_INPUT = PolymorphicProxySerializer(
    component_name="CampaignInput",
    serializers=[CampaignRecipientsInput, CampaignFilterInput],
    resource_type_field_name=None,
)


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


@extend_schema_view(
    list=extend_schema(
        description="The active catalogue, with stock levels.",
        parameters=filter_parameters(ProductFilter),
        responses=VoucherProductOutput(many=True),
    ),
)
class ProductViewSet(PlumViewSet):
    """Voucher products the organisation offers."""

    http_method_names = ["get", "head", "options"]
    required_scopes = {"list": READ}
    serializer_class = VoucherProductOutput
    filterset_class = ProductFilter

    def list(self, request):
        page = self.paginate_queryset(selectors.product_list(actor=actor_of(request), filters=request.query_params))
        levels = selectors.stock_levels([p.pk for p in page])  # one query for the whole page
        return self.get_paginated_response(VoucherProductOutput(page, many=True, context={"stock_levels": levels}).data)


@extend_schema_view(
    list=extend_schema(description="Orders, newest first; codes masked.", responses=VoucherOrderOutput(many=True)),
    retrieve=extend_schema(parameters=[ID], responses=VoucherOrderOutput, description="Codes masked."),
    create=extend_schema(
        request=VOUCHER_ORDER_INPUT,
        responses={
            201: VoucherOrderOutput,
            200: VoucherOrderOutput,
            **problems(
                _409="order_id_conflict",
                _422="employee_not_found, employee_inactive, product_not_found, product_inactive, "
                "denomination_not_offered, programme_not_found, programme_inactive, out_of_stock, "
                "insufficient_balance, budget_exhausted",
            ),
        },
        description="201 with the vouchers, codes in full this once; 200 the same answer again for a repeated "
        "order_id with the same body (recorded as a reveal); 409 order_id_conflict for one with another body. "
        "All or nothing: a refusal pays and issues nothing.",
    ),
)
class VoucherOrderViewSet(PlumViewSet):
    """Voucher orders, idempotent on your `order_id`."""

    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE}
    serializer_class = VoucherOrderOutput
    pagination_ordering = ("-created_at", "-id")

    def list(self, request):
        actor = actor_of(request)
        page = self.paginate_queryset(selectors.order_list(actor=actor))
        # the page's vouchers in one query, through the tenant-scoped voucher selector
        prefetch_related_objects(
            page, Prefetch("vouchers", queryset=selectors.voucher_list(actor=actor).order_by("id"))
        )
        return self.get_paginated_response([order_output(o, o.vouchers.all()) for o in page])

    def retrieve(self, request, pk):
        order = selectors.order_get(actor=actor_of(request), order_uuid=pk)
        return Response(order_output(order, selectors.order_vouchers(order)))

    @idempotent(secret_answer=True)  # the answer holds codes in full: never stored with the key
    def create(self, request):
        placed = services.voucher_order_place(actor=actor_of(request), data=self.json_object(request))
        return Response(placed.document, status=placed.http_status)


@extend_schema_view(
    list=extend_schema(
        description="Vouchers, newest first; codes masked.",
        parameters=filter_parameters(VoucherFilter),
        responses=VoucherOutput(many=True),
    ),
    retrieve=extend_schema(
        parameters=[ID, REVEAL_PARAMETER],
        responses=VoucherOutput,
        description="Masked; `?reveal=true` shows the code and PIN in full, needs vouchers:reveal as well as "
        "vouchers:read, and records who saw them.",
    ),
    cancel=extend_schema(
        parameters=[ID],
        request=None,
        responses={200: VoucherOutput, **problems(_409="already_redeemed", _422="voucher_expired")},
        description="Cancel an issued voucher: points-funded vouchers refund the wallet, programme-funded "
        "ones the budget; a stock code goes back to stock. Cancelling a cancelled voucher answers it again.",
    ),
    redeem=extend_schema(
        request=RedeemInput,
        responses={
            200: VoucherOutput,
            **problems(_404="voucher_not_found", _409="already_redeemed, voucher_cancelled", _422="voucher_expired"),
        },
        description="Redeem by code, exactly once.",
    ),
)
class VoucherViewSet(PlumViewSet):
    """Issued vouchers: codes are masked except in the answer to the order and an explicit reveal."""

    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "reveal": (READ, REVEAL),
        "cancel": WRITE,
        "redeem": WRITE,
    }
    serializer_class = VoucherOutput
    filterset_class = VoucherFilter
    query_parameters = {"retrieve": ("reveal",), "reveal": ("reveal",)}  # see check_permissions
    pagination_ordering = ("-issued_at", "-id")

    def check_permissions(self, request):
        # ?reveal=true is an action of its own, so the declared-scopes permission asks for vouchers:reveal too
        if self.action == "retrieve" and request.query_params.get("reveal") == "true":
            self.action = "reveal"
        super().check_permissions(request)

    def list(self, request):
        vouchers = selectors.voucher_list(actor=actor_of(request), filters=request.query_params)
        page = self.paginate_queryset(vouchers)
        return self.get_paginated_response(VoucherOutput(page, many=True).data)

    def retrieve(self, request, pk):
        if request.query_params.get("reveal", "false") not in REVEAL_VALUES:
            raise ValidationError({"reveal": [ErrorDetail("Either `true` or `false`.", code="invalid")]})
        actor = actor_of(request)
        if self.action == "reveal":
            return Response(services.voucher_reveal(actor=actor, voucher_id=pk))
        return Response(VoucherOutput(selectors.voucher_get(actor=actor, voucher_id=pk)).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk):
        self.json_object(request, allowed=())
        voucher = services.voucher_cancel(actor=actor_of(request), voucher_id=pk)
        return Response(VoucherOutput(voucher).data)

    @action(detail=False, methods=["post"])
    def redeem(self, request):
        body = self.json_object(request, allowed=("code",))
        voucher = services.voucher_redeem(actor=actor_of(request), code=body.get("code"))
        return Response(VoucherOutput(voucher).data)


@extend_schema_view(
    list=extend_schema(description="Campaigns, newest first.", responses=CampaignOutput(many=True)),
    retrieve=extend_schema(parameters=[ID], responses=CampaignOutput, description="Progress counts."),
    create=extend_schema(
        request=CAMPAIGN_INPUT,
        responses={
            202: CampaignOutput,
            200: CampaignOutput,
            **problems(
                _409="campaign_id_conflict",
                _422="employee_not_found, product_not_found, product_inactive, denomination_not_offered, "
                "programme_not_found, programme_inactive, budget_exhausted, no_recipients",
            ),
        },
        description="202 queued: one voucher per recipient, issued in the background; the budget must cover "
        "every recipient now. 200 the campaign as it is now for a repeated campaign_id with the same body; "
        "409 campaign_id_conflict for one with another body.",
    ),
    recipients=extend_schema(
        parameters=[ID], description="Per-recipient outcomes, by index.", responses=CampaignRecipientOutput(many=True)
    ),
)
class CampaignViewSet(PlumViewSet):
    """Campaigns: one voucher for each of many employees, paid by a programme's budget."""

    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE, "recipients": READ}
    serializer_class = CampaignOutput

    @property
    def pagination_ordering(self):
        return ("index",) if self.action == "recipients" else ("-created_at", "-id")

    def list(self, request):
        page = self.paginate_queryset(selectors.campaign_list(actor=actor_of(request)))
        return self.get_paginated_response(CampaignOutput(page, many=True).data)

    def retrieve(self, request, pk):
        return Response(CampaignOutput(selectors.campaign_get(actor=actor_of(request), campaign_uuid=pk)).data)

    @idempotent
    def create(self, request):
        created = services.campaign_create(actor=actor_of(request), data=self.json_object(request))
        return Response(CampaignOutput(created.campaign).data, status=created.http_status)

    @action(detail=True, methods=["get"], paginated=True)
    def recipients(self, request, pk):
        campaign = selectors.campaign_get(actor=actor_of(request), campaign_uuid=pk)
        page = self.paginate_queryset(selectors.campaign_recipients(campaign))
        return self.get_paginated_response(CampaignRecipientOutput(page, many=True).data)


def register(router) -> None:
    # The fixed prefixes first: "vouchers/{id}" would otherwise take products, orders and campaigns.
    router.register("vouchers/products", ProductViewSet, basename="voucher-product")
    router.register("vouchers/orders", VoucherOrderViewSet, basename="voucher-order")
    router.register("vouchers/campaigns", CampaignViewSet, basename="voucher-campaign")
    router.register("vouchers", VoucherViewSet, basename="voucher")
