"""REST door of the points app: thin adapters around points.services and points.selectors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from points import selectors, services
from points.filters import PointsRequestFilter
from points.models import LedgerTransaction, PointsRequest, Programme
from points.services.programmes import CODE_PATTERN, MAX_POINTS, MAX_VALIDITY_DAYS
from points.services.requests import METADATA_MAX_BYTES, REQUEST_ID_PATTERN

READ, WRITE, APPROVE = Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.POINTS_APPROVE
REQUEST_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The request's `id`")


class ProgrammeOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    budget_balance = serializers.IntegerField(help_text="Points left in the programme's budget")
    approval_threshold = serializers.IntegerField(
        allow_null=True, help_text="Requests of at least this many points wait for approval; null: never"
    )
    max_points_per_request = serializers.IntegerField()
    points_validity_days = serializers.IntegerField()
    status = enum_field("ProgrammeStatus", Programme.Status.choices)

    def to_representation(self, instance):
        return selectors.programme_document(instance)


def _default(model, name: str):
    return model._meta.get_field(name).default


def _longest(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class ProgrammeInput(serializers.Serializer):
    """The points service validates it (points.services.programmes); this documents the same constants."""

    code = serializers.RegexField(CODE_PATTERN.pattern, min_length=1, max_length=32)
    name = serializers.RegexField(r"\S", max_length=200, help_text="1 to 200 characters, not only spaces")
    approval_threshold = serializers.IntegerField(
        min_value=1,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
        help_text="Requests of at least this many points wait for approval; null or omitted: never",
    )
    max_points_per_request = serializers.IntegerField(
        min_value=1, max_value=MAX_POINTS, required=False, default=_default(Programme, "max_points_per_request")
    )
    points_validity_days = serializers.IntegerField(
        min_value=1, max_value=MAX_VALIDITY_DAYS, required=False, default=_default(Programme, "points_validity_days")
    )
    status = enum_field("ProgrammeStatus", Programme.Status.choices, required=False, default=Programme.Status.ACTIVE)


class PointsRequestOutput(serializers.Serializer):
    id = serializers.UUIDField()
    request_id = serializers.CharField()
    status = enum_field("PointsRequestStatus", PointsRequest.Status.choices)
    points = serializers.IntegerField()
    employee_id = serializers.CharField()
    programme = serializers.CharField(help_text="Programme code")
    reason = serializers.CharField()
    source = serializers.CharField()
    metadata = serializers.DictField()
    balance_after = serializers.IntegerField(allow_null=True, help_text="The wallet's balance once credited")
    transaction_id = serializers.UUIDField(allow_null=True, help_text="The ledger transaction of the credit")
    credited_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the credited points expire")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="When it was approved or rejected")
    reversed_at = serializers.DateTimeField(allow_null=True)
    reversal_reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.points_request_document(instance)


# A flat object the schema can bound: 4 values of at most 100 characters stay within METADATA_MAX_BYTES even
# when JSON escapes every character (6 each) of them and of names up to 40 characters (a test checks it).
METADATA_MAX_PROPERTIES = METADATA_MAX_BYTES // 1024
METADATA_VALUE_MAX_LENGTH = 100


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": METADATA_MAX_PROPERTIES,
        "additionalProperties": {
            "anyOf": [
                {"type": "string", "maxLength": METADATA_VALUE_MAX_LENGTH},
                {"type": "number"},
                {"type": "boolean"},
            ]
        },
    }
)
class MetadataField(serializers.DictField):
    pass


def _optional_text(limit: int, **options) -> serializers.CharField:
    return serializers.CharField(max_length=limit, required=False, allow_blank=True, allow_null=True, **options)


class PointsRequestInput(serializers.Serializer):
    """The points service validates it (points.services.requests); this documents the same constants."""

    request_id = serializers.RegexField(
        REQUEST_ID_PATTERN.pattern,
        min_length=1,
        max_length=128,
        help_text="Your own reference, printable ASCII without spaces; idempotent forever",
    )
    employee_id = serializers.CharField(min_length=1, max_length=128)
    points = serializers.IntegerField(
        min_value=1, max_value=MAX_POINTS, help_text="At most the programme's max_points_per_request (else 422)"
    )
    programme = serializers.CharField(min_length=1, max_length=128, help_text="Programme code")
    reason = _optional_text(_longest(PointsRequest, "reason"))
    source = _optional_text(_longest(PointsRequest, "source"))
    metadata = MetadataField(
        required=False,
        allow_null=True,
        help_text=f"Any JSON object up to {METADATA_MAX_BYTES} characters as JSON, returned as sent; "
        "the schema describes a flat one that always fits",
    )


class DecisionInput(serializers.Serializer):
    note = _optional_text(_longest(PointsRequest, "decision_note"))


class ReverseInput(serializers.Serializer):
    reason = _optional_text(_longest(PointsRequest, "reversal_reason"))


class ExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class WalletOutput(serializers.Serializer):
    employee_id = serializers.CharField()
    balance = serializers.IntegerField(help_text="Spendable points: the unexpired rest of every lot")
    expiring = ExpiringOutput(many=True, help_text="Points expiring within 90 days, soonest first")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Last movement; null if it never moved")

    def to_representation(self, instance):
        return instance  # wallet_get already answers the document


class WalletLineOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = enum_field("LedgerLineKind", LedgerTransaction.Kind.choices)
    points = serializers.IntegerField(help_text="Signed: credits are positive, debits negative")
    balance_after = serializers.IntegerField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.wallet_line_document(instance)


@extend_schema_view(
    list=extend_schema(
        description="The organisation's programmes by code, with budget balances.", responses=ProgrammeOutput(many=True)
    ),
    create=extend_schema(request=ProgrammeInput, responses={201: ProgrammeOutput, **problems(_409="programme_exists")}),
)
class ProgrammeViewSet(PlumViewSet):
    """Points programmes and the budgets they award from."""

    required_scopes = {"list": READ, "create": WRITE}
    serializer_class = ProgrammeOutput
    pagination_ordering = ("code",)

    def list(self, request):
        page = self.paginate_queryset(selectors.programme_list(actor=actor_of(request)))
        return self.get_paginated_response(ProgrammeOutput(page, many=True).data)

    @idempotent
    def create(self, request):
        actor = actor_of(request)
        programme = services.programme_create(actor=actor, data=self.json_object(request))
        programme = selectors.programme_get(actor=actor, code=programme.code)  # with its budget
        return Response(ProgrammeOutput(programme).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        description="Points requests, newest first.",
        parameters=filter_parameters(PointsRequestFilter),
        responses=PointsRequestOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[REQUEST_ID], responses=PointsRequestOutput),
    create=extend_schema(
        request=PointsRequestInput,
        responses={
            201: PointsRequestOutput,
            202: PointsRequestOutput,
            200: PointsRequestOutput,
            **problems(
                _409="request_id_conflict",
                _422="employee_not_found, employee_inactive, programme_not_found, programme_inactive, "
                "budget_exhausted, points_out_of_range",
            ),
        },
        description="201 credited at once; 202 waiting for approval (at or above the programme's threshold); "
        "200 the first answer again for a repeated request_id with the same body (what happened since, such as "
        "an approval or a reversal, is at GET /api/v1/points/requests/{id}/); 409 request_id_conflict "
        "for one with another body.",
    ),
    approve=extend_schema(
        description="Approve a pending request: its points are credited now.",
        parameters=[REQUEST_ID],
        request=DecisionInput,
        responses={
            200: PointsRequestOutput,
            **problems(
                _409="request_not_pending",
                _422="employee_inactive, programme_inactive, budget_exhausted",
            ),
        },
    ),
    reject=extend_schema(
        description="Reject a pending request; nothing is credited.",
        parameters=[REQUEST_ID],
        request=DecisionInput,
        responses={200: PointsRequestOutput, **problems(_409="request_not_pending")},
    ),
    reverse=extend_schema(
        description="Take a credited request's points back from its lot and return them to the budget.",
        parameters=[REQUEST_ID],
        request=ReverseInput,
        responses={
            200: PointsRequestOutput,
            **problems(_409="request_not_credited", _422="insufficient_balance (the points were spent)"),
        },
    ),
)
class PointsRequestViewSet(PlumViewSet):
    """Points requests: awards asked for by your systems, idempotent on your `request_id`."""

    lookup_value_regex = "[^/]+"
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "approve": APPROVE,
        "reject": APPROVE,
        "reverse": WRITE,
    }
    serializer_class = PointsRequestOutput
    filterset_class = PointsRequestFilter
    pagination_ordering = ("-created_at", "-id")

    def list(self, request):
        requests = selectors.points_request_list(actor=actor_of(request), filters=request.query_params)
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(PointsRequestOutput(page, many=True).data)

    def retrieve(self, request, pk):
        points_request = selectors.points_request_get(actor=actor_of(request), request_uuid=pk)
        return Response(PointsRequestOutput(points_request).data)

    @idempotent
    def create(self, request):
        result = services.points_request_submit(actor=actor_of(request), data=self.json_object(request))
        return Response(PointsRequestOutput(result.request).data, status=result.http_status)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk):
        return self._decide(request, pk, services.points_request_approve)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk):
        return self._decide(request, pk, services.points_request_reject)

    def _decide(self, request, pk, decide):
        body = self.json_object(request, allowed=("note",))
        points_request = decide(actor=actor_of(request), request_uuid=pk, note=body.get("note", ""))
        return Response(PointsRequestOutput(points_request).data)

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk):
        body = self.json_object(request, allowed=("reason",))
        points_request = services.points_request_reverse(
            actor=actor_of(request), request_uuid=pk, reason=body.get("reason", "")
        )
        return Response(PointsRequestOutput(points_request).data)


@extend_schema_view(
    retrieve=extend_schema(responses=WalletOutput),
    transactions=extend_schema(
        description="The wallet's ledger lines, newest first.", responses=WalletLineOutput(many=True)
    ),
)
class WalletViewSet(PlumViewSet):
    """An employee's wallet: every employee has one, answering balance 0 until points arrive."""

    lookup_field = "employee_id"
    lookup_value_regex = "[^/]+"
    required_scopes = {"retrieve": READ, "transactions": READ}
    serializer_class = WalletOutput
    pagination_ordering = ("-created_at", "-id")  # newest first

    def retrieve(self, request, employee_id):
        return Response(WalletOutput(selectors.wallet_get(actor=actor_of(request), employee_id=employee_id)).data)

    @action(detail=True, methods=["get"], paginated=True)
    def transactions(self, request, employee_id):
        lines = selectors.wallet_lines(actor=actor_of(request), employee_id=employee_id)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(WalletLineOutput(page, many=True).data)


def register(router) -> None:
    router.register("programmes", ProgrammeViewSet, basename="programme")
    router.register("points/requests", PointsRequestViewSet, basename="points-request")
    router.register("wallets", WalletViewSet, basename="wallet")
