"""(being written) webhook subscriptions over GraphQL."""

import graphene


class WebhooksQuery(graphene.ObjectType):
    pass
