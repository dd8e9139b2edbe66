"""GraphQL composition root: every app's queries and mutations."""

import graphene

from users.api.graphql import UsersMutation, UsersQuery


class Query(UsersQuery, graphene.ObjectType):
    pass


class Mutation(UsersMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=True)
