"""Programmes: GET and POST /programmes/."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from points import selectors, services
from points.commands import ProgrammeCommand
from points.models import Programme


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


@extend_schema_view(
    list=extend_schema(
        description="The organisation's programmes by code, with budget balances.", responses=ProgrammeOutput(many=True)
    ),
    create=extend_schema(
        request=ProgrammeCommand, responses={201: ProgrammeOutput, **problems(_409="programme_exists")}
    ),
)
class ProgrammeViewSet(PlumViewSet):
    """Points programmes and the budgets they award from."""

    required_scopes = {"list": Scope.POINTS_READ, "create": Scope.POINTS_WRITE}
    serializer_class = ProgrammeOutput
    pagination_ordering = ("code",)

    def list(self, request):
        page = self.paginate_queryset(selectors.programme_list(actor=actor_of(request)))
        return self.get_paginated_response(ProgrammeOutput(page, many=True).data)

    @idempotent
    def create(self, request):
        actor, command = actor_of(request), ProgrammeCommand.parse(self.json_object(request))
        programme = services.programme_create(actor=actor, command=command)
        programme = selectors.programme_get(actor=actor, code=programme.code)  # with its budget
        return Response(ProgrammeOutput(programme).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("programmes", ProgrammeViewSet, basename="programme")
