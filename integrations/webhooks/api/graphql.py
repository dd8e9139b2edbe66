"""Webhook subscriptions over GraphQL: the `webhooks` query (read only; writes are REST's). Never the secret."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from integrations.webhooks.models import Subscription
from integrations.webhooks.selectors import subscriptions as selectors
from plum.api.auth import actor_of
from plum.api.graphql.connection import CountedConnection, PlumConnectionField
from plum.api.graphql.scalars import DateTime
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope


class WebhookSubscriptionNode(DjangoObjectType):
    """Where Plum POSTs events, as GET /api/v1/webhooks/{id}/ shows it."""

    subscription_id = graphene.UUID(required=True, description="The id REST uses")
    events = graphene.List(graphene.NonNull(graphene.String), required=True, description="Event types delivered")
    disabled_reason = graphene.String(
        required=True,
        description="Why Plum stopped delivering (410 Gone, failing for 5 days, deleted); empty while active",
    )
    previous_secret_expires_at = DateTime(
        description="After a rotation, deliveries are also signed with the previous secret until then"
    )

    class Meta:
        model = Subscription
        name = "WebhookSubscription"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "url",
            "active",
            "disabled_reason",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        )

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(organisation_id=actor_of(info).organisation_id)

    def resolve_subscription_id(self, info):
        return self.pk

    def resolve_events(self, info):
        return list(self.events)


class WebhooksQuery(graphene.ObjectType):
    webhooks = PlumConnectionField(
        WebhookSubscriptionNode, active=graphene.Boolean(description="Only active (true) or inactive (false) ones")
    )

    def resolve_webhooks(root, info, active=None, **kwargs):
        return selectors.subscription_list(actor=actor_of(info), active=active).order_by("created_at", "id")


register_query_scopes({"webhooks": Scope.INTEGRATIONS_MANAGE})
