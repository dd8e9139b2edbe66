"""GraphQL door of the points app: types, queries and mutations around the same services as REST,
one module per entity; this module composes them for plum.schema."""

import graphene

from plum.api.graphql.connection import PlumConnectionField
from plum.api.graphql.scalars import DateTime
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope
from points.api.graphql.batches import PointsBatchesMutation, PointsBatchesQuery
from points.api.graphql.programmes import ProgrammeCreate, ProgrammeNode, resolve_programmes
from points.api.graphql.requests import (
    PointsRequestApprove,
    PointsRequestCreate,
    PointsRequestNode,
    PointsRequestReject,
    PointsRequestReverse,
    PointsRequestStatus,
    resolve_points_requests,
)
from points.api.graphql.wallet import LedgerLineNode, Wallet, add_employee_wallet, resolve_ledger_lines, resolve_wallet

__all__ = ["PointsBatchesMutation", "PointsBatchesQuery", "PointsMutation", "PointsQuery", "add_employee_wallet"]


class PointsQuery(graphene.ObjectType):
    programmes = PlumConnectionField(ProgrammeNode)
    wallet = graphene.Field(Wallet, employee_id=graphene.String(required=True))
    points_requests = PlumConnectionField(
        PointsRequestNode,
        status=PointsRequestStatus(),
        employee_id=graphene.String(),
        programme=graphene.String(),
        source=graphene.String(),
        created_since=DateTime(),
    )
    ledger_lines = PlumConnectionField(LedgerLineNode, employee_id=graphene.String(required=True))

    resolve_programmes = resolve_programmes
    resolve_wallet = resolve_wallet
    resolve_points_requests = resolve_points_requests
    resolve_ledger_lines = resolve_ledger_lines


register_query_scopes(
    {
        "programmes": Scope.POINTS_READ,
        "wallet": Scope.POINTS_READ,
        "pointsRequests": Scope.POINTS_READ,
        "ledgerLines": Scope.POINTS_READ,
    }
)


class PointsMutation(graphene.ObjectType):
    programme_create = ProgrammeCreate.Field()
    points_request_create = PointsRequestCreate.Field()
    points_request_approve = PointsRequestApprove.Field()
    points_request_reject = PointsRequestReject.Field()
    points_request_reverse = PointsRequestReverse.Field()
