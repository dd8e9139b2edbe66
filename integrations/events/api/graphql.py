"""(being written) events and rules over GraphQL."""

import graphene


class EventsQuery(graphene.ObjectType):
    pass
