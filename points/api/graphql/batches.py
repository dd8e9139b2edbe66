"""Points batches: pointsBatchCreate and the batch queries."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType
from graphql import GraphQLError

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.commands import command_fields, command_input, parse_input
from plum.api.graphql.connection import CountedConnection, PlumConnectionField
from plum.api.graphql.inputs import plain
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope
from plum.core.errors import DomainError
from points import selectors, services
from points.api.graphql.errors import PointsBatchError
from points.api.graphql.requests import REQUEST_TYPES
from points.commands import PointsBatchCommand, PointsRequestCommand
from points.models import PointsBatch, PointsBatchItem

PointsBatchStatus = graphene.Enum("PointsBatchStatus", [(v, v) for v in PointsBatch.Status.values])
PointsBatchItemStatus = graphene.Enum("PointsBatchItemStatus", [(v, v) for v in PointsBatchItem.Status.values])


class PointsBatchItemError(graphene.ObjectType):
    field = graphene.String()
    code = graphene.String(required=True, description="The code a single points request would get")
    message = graphene.String(required=True)


class PointsBatchItemNode(DjangoObjectType):
    status = graphene.Field(PointsBatchItemStatus, required=True)
    row = graphene.Int(description="Row of the uploaded file, for upload batches")
    request_id = graphene.String()
    error = graphene.Field(PointsBatchItemError)
    points_request_id = graphene.UUID(description="The id REST uses")
    points_request = graphene.Field(
        "points.api.graphql.requests.PointsRequestNode",
        description="The request the item became (its id is what pointsRequestApprove and the others take)",
    )

    class Meta:
        model = PointsBatchItem
        name = "PointsBatchItem"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "index")

    def resolve_id(self, info):
        return f"{self.batch_id}:{self.index}"  # the batch and position, never the internal sequence

    @classmethod
    def get_node(cls, info, id):
        batch_uuid, _, index = id.partition(":")
        if not index.isdigit():
            return None
        try:
            return selectors.batch_items(actor=actor_of(info), batch_uuid=batch_uuid).filter(index=int(index)).first()
        except DomainError:
            return None

    def resolve_status(self, info):
        return str(self.status)

    def resolve_row(self, info):
        return self.source_row

    def resolve_request_id(self, info):
        return self.request_id or None

    def resolve_error(self, info):
        return selectors.item_error(self)

    def resolve_points_request(self, info):
        return self.points_request  # joined by resolve_items


class PointsBatchNode(DjangoObjectType):
    status = graphene.Field(PointsBatchStatus, required=True)
    batch_uuid = graphene.UUID(required=True, description="The id REST uses")
    items = PlumConnectionField(
        PointsBatchItemNode,
        status=PointsBatchItemStatus(),
        description="The batch's items in order. Asked of one batch at a time (pointsBatch, pointsBatchCreate), "
        "not within pointsBatches: a batch holds up to 100,000 of them.",
    )

    class Meta:
        model = PointsBatch
        name = "PointsBatch"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "batch_id",
            "source",
            "total",
            "processed",
            "credited",
            "pending_approval",
            "rejected",
            "replayed",
            "created_at",
            "started_at",
            "completed_at",
        )

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(organisation_id=actor_of(info).organisation_id)

    def resolve_status(self, info):
        return str(self.status)

    def resolve_batch_uuid(self, info):
        return self.pk

    def resolve_items(self, info, status=None, **kwargs):
        if _within_a_list(info.path):  # one query per batch of the page otherwise
            raise GraphQLError(
                "`items` is asked of one batch at a time: use pointsBatch(id).", extensions={"code": "bad_request"}
            )
        return selectors.batch_item_list(self, status=plain(status))


def _within_a_list(path) -> bool:
    while path is not None:
        if isinstance(path.key, int):
            return True
        path = path.prev
    return False


class PointsBatchesQuery(graphene.ObjectType):
    points_batches = PlumConnectionField(PointsBatchNode, status=PointsBatchStatus())
    points_batch = graphene.Field(PointsBatchNode, id=graphene.UUID(required=True, description="The REST id"))

    def resolve_points_batches(root, info, status=None, **kwargs):
        return selectors.batch_list(actor=actor_of(info), status=plain(status)).order_by("-created_at", "-id")

    def resolve_points_batch(root, info, id):
        try:
            return selectors.batch_get(actor=actor_of(info), batch_uuid=id)
        except DomainError:
            return None  # not found or another organisation's: null, as for employee(employeeId)


register_query_scopes({"pointsBatches": Scope.POINTS_READ, "pointsBatch": Scope.POINTS_READ})


PointsBatchRequestInput = command_input(PointsRequestCommand, "PointsBatchRequestInput", types=REQUEST_TYPES)


class PointsBatchCreate(BaseMutation):
    """Queue a batch; each request is checked when processed, exactly like pointsRequestCreate."""

    batch = graphene.Field(PointsBatchNode)
    replayed = graphene.Boolean(description="True when this batch_id was already sent with the same requests")

    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsBatchError

    Input = command_fields(
        PointsBatchCommand,
        types={"requests": lambda **field: graphene.List(graphene.NonNull(PointsBatchRequestInput), **field)},
    )

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(PointsBatchCommand, data)
        result = services.points_batch_create(actor=actor_of(info), command=command)
        return cls(batch=result.batch, replayed=result.replayed)


class PointsBatchesMutation(graphene.ObjectType):
    points_batch_create = PointsBatchCreate.Field()
