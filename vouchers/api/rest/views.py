"""REST door of the vouchers app: thin adapters that build a command (vouchers.commands) and call its
service, or read through vouchers.selectors."""

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from vouchers import commands, selectors, services
from vouchers.api.rest.outputs import (
    CampaignOutput,
    CampaignRecipientOutput,
    VoucherOrderOutput,
    VoucherOutput,
    VoucherProductOutput,
    order_output,
)
from vouchers.filters import ProductFilter, VoucherFilter

READ, WRITE, REVEAL = Scope.VOUCHERS_READ, Scope.VOUCHERS_WRITE, Scope.VOUCHERS_REVEAL
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
REVEAL_PARAMETER = OpenApiParameter(
    "reveal",
    OpenApiTypes.BOOL,
    description="`true` answers the code and PIN in full; needs the scope vouchers:reveal too, and is recorded.",
)
REVEAL_VALUES = ("true", "false")


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
        request=commands.VoucherOrderPlace,
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
        command = commands.VoucherOrderPlace.parse(self.json_object(request))
        placed = services.voucher_order_place(actor=actor_of(request), command=command)
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
        request=commands.VoucherRedeem,
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
            command = commands.VoucherReveal.parse({"voucher_id": pk})
            return Response(services.voucher_reveal(actor=actor, command=command))
        return Response(VoucherOutput(selectors.voucher_get(actor=actor, voucher_id=pk)).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk):
        self.json_object(request, allowed=())
        command = commands.VoucherCancel.parse({"voucher_id": pk})
        voucher = services.voucher_cancel(actor=actor_of(request), command=command)
        return Response(VoucherOutput(voucher).data)

    @action(detail=False, methods=["post"])
    def redeem(self, request):
        command = commands.VoucherRedeem.parse(self.json_object(request, allowed=("code",)))
        voucher = services.voucher_redeem(actor=actor_of(request), command=command)
        return Response(VoucherOutput(voucher).data)


@extend_schema_view(
    list=extend_schema(description="Campaigns, newest first.", responses=CampaignOutput(many=True)),
    retrieve=extend_schema(parameters=[ID], responses=CampaignOutput, description="Progress counts."),
    create=extend_schema(
        request=commands.CampaignCreate,
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
        command = commands.CampaignCreate.parse(self.json_object(request))
        created = services.campaign_create(actor=actor_of(request), command=command)
        return Response(CampaignOutput(created.campaign).data, status=created.http_status)

    @action(detail=True, methods=["get"], paginated=True)
    def recipients(self, request, pk):
        campaign = selectors.campaign_get(actor=actor_of(request), campaign_uuid=pk)
        page = self.paginate_queryset(selectors.campaign_recipients(campaign))
        return self.get_paginated_response(CampaignRecipientOutput(page, many=True).data)
