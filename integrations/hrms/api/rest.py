"""REST: /api/v1/integrations/hrms/ connections, sync now (scope integrations:manage); their runs are in
runs.py. Credentials are write-only: no answer carries them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.hrms import selectors, services
from integrations.hrms.api import runs
from integrations.hrms.api.runs import RunStartedOutput, RunSummaryOutput
from integrations.hrms.commands import ConnectionChanges, ConnectionCreate, ConnectionRef, ConnectionUpdate
from integrations.hrms.models import Connection, Run
from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The connection's `id`")
NOT_FOUND = problems(_404="connection_not_found")
REFUSED = problems(_422="url_not_allowed")


class ConnectionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    provider = enum_field("HrmsProvider", Connection.Provider.choices)
    base_url = serializers.URLField()
    settings = serializers.DictField()
    schedule = serializers.CharField(help_text="Cron, five fields, UTC; empty: runs only when started")
    mode = enum_field("HrmsMode", Connection.Mode.choices)
    field_map = serializers.DictField(child=serializers.CharField())
    max_deactivation_ratio = serializers.FloatField()
    active = serializers.BooleanField(help_text="An inactive connection is not run, on schedule or on demand")
    last_run = RunSummaryOutput(allow_null=True, help_text="The newest run, without its errors")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(
        description="The organisation's HRMS connections, oldest first; never their credentials.",
        responses=ConnectionOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[ID], responses={200: ConnectionOutput, **NOT_FOUND}),
    create=extend_schema(
        request=ConnectionCreate,
        responses={201: ConnectionOutput, **REFUSED},
        description="Connect an HRMS. settings, credentials and field_map are checked for the provider (422 "
        "invalid_connection with an errors entry per problem), the schedule as cron (422 invalid_schedule), and "
        "base_url by the outbound "
        "guard (422 url_not_allowed unless operations staff allow its network). Credentials are stored sealed and "
        "never shown again.",
    ),
    partial_update=extend_schema(
        parameters=[ID],
        request=ConnectionChanges,
        responses={200: ConnectionOutput, **NOT_FOUND, **REFUSED},
        description="Change what is sent; credentials sent replace the stored ones whole. The provider cannot "
        "change. The schedule follows at once (no restart).",
    ),
    destroy=extend_schema(
        parameters=[ID],
        responses={204: None, **NOT_FOUND, **problems(_409="run_in_progress")},
        description="Delete the connection, its runs and its schedule. 409 run_in_progress while a run is queued, "
        "running or held at needs_confirmation.",
    ),
    sync=extend_schema(
        parameters=[ID],
        request=None,
        responses={202: RunStartedOutput, **NOT_FOUND, **problems(_409="run_in_progress, connection_inactive")},
        description="Start a run now (202 with the run's id; follow it at …/runs/{run_id}/). One run at a time: "
        "409 run_in_progress while another is queued or running. A run held at needs_confirmation is replaced: it "
        "ends failed, nothing of it applied, and the new run fetches the feed again.",
    ),
)
class ConnectionViewSet(PlumViewSet):
    """HRMS connections: Workday, SAP SuccessFactors and Darwinbox feeds that keep employees in step."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_scopes = Scope.INTEGRATIONS_MANAGE
    serializer_class = ConnectionOutput
    pagination_ordering = ("created_at", "id")

    def list(self, request):
        page = self.paginate_queryset(selectors.connection_list(actor=actor_of(request)))
        return self.get_paginated_response(selectors.connection_documents(page))

    def retrieve(self, request, pk):
        return Response(_document(selectors.connection_get(actor=actor_of(request), connection_id=pk)))

    @idempotent
    def create(self, request):
        command = ConnectionCreate.parse(self.json_object(request))
        connection = services.connection_create(actor=actor_of(request), command=command)
        return Response(_document(connection), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        command = ConnectionUpdate.of(pk, self.json_object(request))
        return Response(_document(services.connection_update(actor=actor_of(request), command=command)))

    def destroy(self, request, pk):
        services.connection_delete(actor=actor_of(request), command=ConnectionRef.parse({"connection_id": pk}))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def sync(self, request, pk):
        self.json_object(request, allowed=())
        command = ConnectionRef.parse({"connection_id": pk})
        run = services.run_start(actor=actor_of(request), command=command, trigger=Run.Trigger.API)
        return Response({"id": str(run.pk), "status": Run.Status.QUEUED.value}, status=status.HTTP_202_ACCEPTED)


def _document(connection: Connection) -> dict:
    return selectors.connection_documents([connection])[0]


def register(router) -> None:
    router.register("integrations/hrms", ConnectionViewSet, basename="hrms-connection")
    runs.register(router)
