"""Points requests: submit, list, read, approve, reject, reverse."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from points import selectors, services
from points.commands import PointsRequestCommand, PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.filters import PointsRequestFilter
from points.models import PointsRequest

READ, WRITE, APPROVE = Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.POINTS_APPROVE
REQUEST_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The request's `id`")


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


@extend_schema_view(
    list=extend_schema(
        description="Points requests, newest first.",
        parameters=filter_parameters(PointsRequestFilter),
        responses=PointsRequestOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[REQUEST_ID], responses=PointsRequestOutput),
    create=extend_schema(
        request=PointsRequestCommand,
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
        request=PointsRequestDecisionCommand,
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
        request=PointsRequestDecisionCommand,
        responses={200: PointsRequestOutput, **problems(_409="request_not_pending")},
    ),
    reverse=extend_schema(
        description="Take a credited request's points back from its lot and return them to the budget.",
        parameters=[REQUEST_ID],
        request=PointsRequestReverseCommand,
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
        command = PointsRequestCommand.parse(self.json_object(request))
        result = services.points_request_submit(actor=actor_of(request), command=command)
        return Response(PointsRequestOutput(result.request).data, status=result.http_status)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk):
        return self._decide(request, pk, services.points_request_approve)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk):
        return self._decide(request, pk, services.points_request_reject)

    def _decide(self, request, pk, decide):
        command = PointsRequestDecisionCommand.parse(self.json_object(request, allowed=("note",)))
        points_request = decide(actor=actor_of(request), request_uuid=pk, command=command)
        return Response(PointsRequestOutput(points_request).data)

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk):
        command = PointsRequestReverseCommand.parse(self.json_object(request, allowed=("reason",)))
        points_request = services.points_request_reverse(actor=actor_of(request), request_uuid=pk, command=command)
        return Response(PointsRequestOutput(points_request).data)


def register(router) -> None:
    router.register("points/requests", PointsRequestViewSet, basename="points-request")
