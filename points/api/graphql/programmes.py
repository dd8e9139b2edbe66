"""Programmes: the `programmes` query and programmeCreate."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.commands import command_fields, parse_input
from plum.api.graphql.connection import CountedConnection
from plum.api.scopes import Scope
from points import selectors, services
from points.api.graphql.errors import PointsError
from points.commands import ProgrammeCommand
from points.models import Programme

ProgrammeStatus = graphene.Enum(
    "ProgrammeStatus", [(v, v) for v in Programme.Status.values], description="Inactive programmes award nothing."
)


class ProgrammeNode(DjangoObjectType):
    budget_balance = graphene.BigInt(required=True, description="Points left in the programme's budget")
    status = graphene.Field(ProgrammeStatus, required=True)

    class Meta:
        model = Programme
        name = "Programme"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "code", "name", "approval_threshold", "max_points_per_request", "points_validity_days")

    def resolve_status(self, info):
        return str(self.status)


def resolve_programmes(root, info, **kwargs):
    return selectors.programme_list(actor=actor_of(info)).order_by("code")


class ProgrammeCreate(BaseMutation):
    programme = graphene.Field(ProgrammeNode)

    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    Input = command_fields(ProgrammeCommand, types={"status": ProgrammeStatus})

    @classmethod
    def perform(cls, info, **data):
        actor, command = actor_of(info), parse_input(ProgrammeCommand, data)
        programme = services.programme_create(actor=actor, command=command)
        return cls(programme=selectors.programme_get(actor=actor, code=programme.code))
