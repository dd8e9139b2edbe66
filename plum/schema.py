"""GraphQL composition root: every app's queries and mutations."""

import graphene

from points.api.batches_graphql import PointsBatchesMutation, PointsBatchesQuery
from points.api.graphql import PointsMutation, PointsQuery
from users.api.graphql import UsersMutation, UsersQuery
from vouchers.api.graphql import VouchersMutation, VouchersQuery


# graphene lists the last base first
class Query(VouchersQuery, PointsBatchesQuery, PointsQuery, UsersQuery, graphene.ObjectType):
    pass


class Mutation(VouchersMutation, PointsBatchesMutation, PointsMutation, UsersMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=True)
