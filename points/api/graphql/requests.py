"""Points requests: the `pointsRequests` query, create, approve, reject, reverse."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import from_global_id

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.commands import command_fields, parse_input
from plum.api.graphql.connection import CountedConnection
from plum.api.graphql.inputs import WholeNumber, plain
from plum.api.graphql.scalars import GenericScalar
from plum.api.scopes import Scope
from points import selectors, services
from points.api.graphql.errors import PAGE_ARGUMENTS, PointsError
from points.commands import PointsRequestCommand, PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.models import PointsRequest

REQUEST_TYPES = {"points": WholeNumber, "metadata": GenericScalar}  # where Python's type says too little
PointsRequestStatus = graphene.Enum(
    "PointsRequestStatus", [(v, v) for v in PointsRequest.Status.values], description="Where a request stands."
)


class PointsRequestNode(DjangoObjectType):
    status = graphene.Field(PointsRequestStatus, required=True)
    employee_id = graphene.String(required=True)
    programme = graphene.String(required=True, description="Programme code")
    metadata = GenericScalar(required=True)
    balance_after = graphene.BigInt(description="The wallet's balance once credited")
    transaction_id = graphene.UUID(description="The ledger transaction of the credit")

    class Meta:
        model = PointsRequest
        name = "PointsRequest"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "request_id",
            "points",
            "reason",
            "source",
            "credited_at",
            "expires_at",
            "decided_at",
            "reversed_at",
            "reversal_reason",
            "created_at",
        )

    def resolve_status(self, info):
        return str(self.status)

    def resolve_employee_id(self, info):
        return self.employee.employee_id

    def resolve_programme(self, info):
        return self.programme.code

    def resolve_transaction_id(self, info):
        return self.transaction_id


def resolve_points_requests(root, info, **kwargs):
    filters = plain({k: v for k, v in kwargs.items() if k not in PAGE_ARGUMENTS})
    if filters.get("created_since") is not None:
        filters["created_since"] = filters["created_since"].isoformat()
    requests = selectors.points_request_list(actor=actor_of(info), filters=filters)
    return requests.order_by("-created_at", "-id")


def request_uuid(global_id: str) -> str | None:
    """The UUID inside a PointsRequest global id; anything else names no request (not found)."""
    try:
        type_name, value = from_global_id(global_id)
    except (TypeError, ValueError, UnicodeDecodeError):
        return None
    return value if type_name == PointsRequestNode._meta.name else None


class PointsRequestMutation(BaseMutation):
    points_request = graphene.Field(PointsRequestNode)

    class Meta:
        abstract = True


class PointsRequestCreate(PointsRequestMutation):
    replayed = graphene.Boolean(description="True when this request_id was sent before with the same body")

    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    Input = command_fields(PointsRequestCommand, types=REQUEST_TYPES)

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(PointsRequestCommand, data)
        result = services.points_request_submit(actor=actor_of(info), command=command)
        return cls(points_request=result.request, replayed=result.replayed)


class _PointsRequestDecision(PointsRequestMutation):
    """Approve or reject: the same adapter around one of two services."""

    decide = None  # the service, set by each subclass

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, info, id, **data):
        command = PointsRequestDecisionCommand.parse(plain(data))
        request = cls.decide(actor=actor_of(info), request_uuid=request_uuid(id), command=command)
        return cls(points_request=request)


class DecisionInput:
    id = graphene.ID(required=True, description="The request's global id")
    note = graphene.String()


class PointsRequestApprove(_PointsRequestDecision):
    decide = staticmethod(services.points_request_approve)

    class Meta:
        scopes = (Scope.POINTS_APPROVE,)
        error_type = PointsError

    Input = DecisionInput


class PointsRequestReject(_PointsRequestDecision):
    decide = staticmethod(services.points_request_reject)

    class Meta:
        scopes = (Scope.POINTS_APPROVE,)
        error_type = PointsError

    Input = DecisionInput


class PointsRequestReverse(PointsRequestMutation):
    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    class Input:
        id = graphene.ID(required=True, description="The request's global id")
        reason = graphene.String(description="Why the points are taken back; kept on the ledger")

    @classmethod
    def perform(cls, info, id, **data):
        command = PointsRequestReverseCommand.parse(plain(data))
        request = services.points_request_reverse(actor=actor_of(info), request_uuid=request_uuid(id), command=command)
        return cls(points_request=request)
