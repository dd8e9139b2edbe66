"""A connection's runs over REST: /api/v1/integrations/hrms/{connection_id}/runs/, …/{run_id}/ and
…/{run_id}/confirm/ (scope integrations:manage; another organisation's connection or run is 404)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.hrms import selectors, services
from integrations.hrms.commands import RunRef
from integrations.hrms.models import Run
from plum.api.auth import actor_of
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

CONNECTION_ID = OpenApiParameter(
    "connection_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The HRMS connection's `id`"
)
RUN_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The run's `id`")


class RunErrorOutput(serializers.Serializer):
    employee_id = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class RunSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    connection_id = serializers.UUIDField()
    status = enum_field("HrmsRunStatus", [(s, s) for s in selectors.API_STATUSES])
    trigger = enum_field("HrmsRunTrigger", Run.Trigger.choices)
    mode = enum_field("HrmsRunMode", [("full", "full"), ("incremental", "incremental")])
    fetched = serializers.IntegerField(help_text="People fetched; each is counted once below, or has an error")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deactivated = serializers.IntegerField(help_text="Leavers, and in a full run the active people it did not list")
    unchanged = serializers.IntegerField()
    errors_total = serializers.IntegerField(help_text="Every per-record error; `errors` holds the first 1,000")
    active_before = serializers.IntegerField(
        allow_null=True, help_text="Active employees when a full run was checked against max_deactivation_ratio"
    )
    would_deactivate = serializers.IntegerField(allow_null=True, help_text="How many of them that full run deactivates")
    error = serializers.CharField(help_text="Why the run failed, saying what to fix; empty otherwise")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class RunOutput(RunSummaryOutput):
    errors = RunErrorOutput(many=True, help_text="Per-record errors: the vendor's values Plum could not read or apply")

    def to_representation(self, instance):
        return selectors.run_document(instance)


class RunStartedOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = enum_field("HrmsRunQueued", [("queued", "queued")])


@extend_schema_view(
    list=extend_schema(
        description="The connection's runs, newest first.",
        parameters=[CONNECTION_ID, *filter_parameters(selectors.RunFilter)],
        responses={200: RunOutput(many=True), **problems(_404="connection_not_found")},
    ),
    retrieve=extend_schema(
        parameters=[CONNECTION_ID, RUN_ID],
        responses={200: RunOutput, **problems(_404="connection_not_found, run_not_found")},
    ),
    confirm=extend_schema(
        description="Apply a full run held at needs_confirmation (it would deactivate more than the connection's "
        "max_deactivation_ratio of the active employees): 202, the same run continues and completes. A run in "
        "any other state is 409 run_not_awaiting_confirmation.",
        parameters=[CONNECTION_ID, RUN_ID],
        request=None,
        responses={
            202: RunOutput,
            **problems(_404="connection_not_found, run_not_found", _409="run_not_awaiting_confirmation"),
        },
    ),
)
class RunViewSet(PlumViewSet):
    """Runs of one HRMS connection: what was fetched and applied, per-record errors, and why a run failed."""

    lookup_value_regex = "[^/.]+"
    required_scopes = Scope.INTEGRATIONS_MANAGE
    serializer_class = RunOutput
    filterset_class = selectors.RunFilter
    pagination_ordering = ("-created_at", "-id")

    def list(self, request, connection_id):
        runs = selectors.run_list(actor=actor_of(request), connection_id=connection_id, filters=request.query_params)
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(RunOutput(page, many=True).data)

    def retrieve(self, request, connection_id, pk):
        run = selectors.run_get(actor=actor_of(request), connection_id=connection_id, run_id=pk)
        return Response(RunOutput(run).data)

    @action(detail=True, methods=["post"])
    def confirm(self, request, connection_id, pk):
        self.json_object(request, allowed=())
        actor = actor_of(request)
        command = RunRef.parse({"connection_id": connection_id, "run_id": pk})
        services.run_confirm(actor=actor, command=command)
        # read again: the run goes on after the service's commit (at once when tasks run in-process)
        run = selectors.run_get(actor=actor, connection_id=connection_id, run_id=pk)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register(r"integrations/hrms/(?P<connection_id>[^/.]+)/runs", RunViewSet, basename="hrms-run")
