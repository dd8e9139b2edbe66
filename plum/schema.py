"""GraphQL composition root: every app's queries and mutations."""

import graphene

from integrations.events.api.graphql import EventsQuery
from integrations.webhooks.api.graphql import WebhooksQuery
from points.api.graphql import (
    PointsBatchesMutation,
    PointsBatchesQuery,
    PointsMutation,
    PointsQuery,
    add_employee_wallet,
)
from reports.api.graphql import ReportsQuery
from users.api.graphql import EmployeeNode, UsersMutation, UsersQuery
from vouchers.api.graphql import VouchersMutation, VouchersQuery

# users sits below points: the points door adds Employee.wallet to the users door's type.
add_employee_wallet(EmployeeNode)


# graphene lists the last base first
class Query(
    ReportsQuery,
    WebhooksQuery,
    EventsQuery,
    VouchersQuery,
    PointsBatchesQuery,
    PointsQuery,
    UsersQuery,
    graphene.ObjectType,
):
    pass


class Mutation(VouchersMutation, PointsBatchesMutation, PointsMutation, UsersMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=True)
