"""Webhook subscriptions over REST: /api/v1/webhooks/ (scope integrations:manage)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.webhooks.api.deliveries import DeliveryOutput
from integrations.webhooks.commands import (
    EVENT_TYPES,
    SubscriptionChanges,
    SubscriptionCreate,
    SubscriptionRef,
    SubscriptionUpdate,
)
from integrations.webhooks.selectors import deliveries as delivery_selectors
from integrations.webhooks.selectors import subscriptions as selectors
from integrations.webhooks.services import deliveries as delivery_services
from integrations.webhooks.services import subscriptions as services
from plum.api.auth import actor_of
from plum.api.idempotency import SecretOnce, idempotent
from plum.api.openapi import enum_field, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

MANAGE = Scope.INTEGRATIONS_MANAGE
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=enum_field("WebhookEventType", [(t, t) for t in EVENT_TYPES]))
    active = serializers.BooleanField(help_text="Inactive subscriptions receive nothing")
    disabled_reason = serializers.CharField(
        help_text="Why Plum stopped delivering (410 Gone, failing for 5 days, deleted); empty while active"
    )
    failing_since = serializers.DateTimeField(allow_null=True, help_text="First failure since the last success")
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="After a rotation, deliveries are also signed with the previous secret until then"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.subscription_document(instance)


class IssuedSubscriptionOutput(SubscriptionOutput):
    secret = serializers.CharField(
        required=False,
        help_text="The signing secret (whsec_…), shown this once: keep it. A replay of the creation "
        "(same Idempotency-Key) answers the subscription without it.",
    )


class SecretOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret (whsec_…), shown this once")
    previous_secret_expires_at = serializers.DateTimeField(help_text="The previous secret stays valid until then")


@extend_schema_view(
    list=extend_schema(
        description="The organisation's webhook subscriptions, oldest first; never their secrets.",
        responses=SubscriptionOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[ID], responses=SubscriptionOutput),
    create=extend_schema(
        request=SubscriptionCreate,
        responses={201: IssuedSubscriptionOutput, **problems(_422="url_not_allowed")},
        description="Subscribe a URL to event types. The answer holds the signing secret, once. A URL that "
        "resolves to a loopback, private, link-local or metadata address is refused (422 url_not_allowed) "
        "unless operations staff allow its network (PLUM_OUTBOUND_ALLOWED_NETWORKS); it is checked again "
        "at every delivery.",
    ),
    partial_update=extend_schema(
        parameters=[ID],
        request=SubscriptionChanges,
        responses={200: SubscriptionOutput, **problems(_422="url_not_allowed")},
        description="Change the url (checked again), the events or active. `active: true` re-enables a "
        "subscription Plum disabled: disabled_reason and failing_since are cleared.",
    ),
    destroy=extend_schema(
        parameters=[ID],
        responses={200: SubscriptionOutput},
        description="Stop deliveries: the subscription is deactivated (active false, disabled_reason "
        '"Deleted.") and stays listed with its deliveries\' history; nothing is sent to it any more. '
        "PATCH active true brings it back. Deleting it again answers the same.",
    ),
    rotate_secret=extend_schema(
        parameters=[ID],
        request=None,
        responses=SecretOutput,
        description="A new signing secret, shown once. For 24 hours deliveries carry signatures with both "
        "the new and the previous secret, so receivers can switch without losing one. A secret replaced "
        "earlier stops at once.",
    ),
    test=extend_schema(
        parameters=[ID],
        request=None,
        responses={200: DeliveryOutput, **problems(_409="subscription_inactive")},
        description="Send a `webhook.test` event now and answer its delivery (state, attempts, last_status_code, "
        "last_error) as GET …/deliveries/ lists it.",
    ),
)
class SubscriptionViewSet(SecretOnce, PlumViewSet):
    """Outbound webhook subscriptions: where Plum POSTs events, signed per Standard Webhooks."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_scopes = MANAGE
    serializer_class = SubscriptionOutput
    pagination_ordering = ("created_at", "id")

    def list(self, request):
        page = self.paginate_queryset(selectors.subscription_list(actor=actor_of(request)))
        return self.get_paginated_response(SubscriptionOutput(page, many=True).data)

    def retrieve(self, request, pk):
        return Response(
            SubscriptionOutput(selectors.subscription_get(actor=actor_of(request), subscription_id=pk)).data
        )

    @idempotent
    def create(self, request):
        command = SubscriptionCreate.parse(self.json_object(request))
        issued = services.subscription_create(actor=actor_of(request), command=command)
        self.secret_once(request, issued.secret)
        return Response(SubscriptionOutput(issued.subscription).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        command = SubscriptionUpdate.of(pk, self.json_object(request))
        subscription = services.subscription_update(actor=actor_of(request), command=command)
        return Response(SubscriptionOutput(subscription).data)

    def destroy(self, request, pk):
        command = SubscriptionRef.parse({"subscription_id": pk})
        subscription = services.subscription_deactivate(actor=actor_of(request), command=command)
        return Response(SubscriptionOutput(subscription).data)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk):
        self.json_object(request, allowed=())
        issued = services.subscription_rotate_secret(
            actor=actor_of(request), command=SubscriptionRef.parse({"subscription_id": pk})
        )
        document = selectors.subscription_document(issued.subscription)
        return Response({"secret": issued.secret, "previous_secret_expires_at": document["previous_secret_expires_at"]})

    @action(detail=True, methods=["post"])
    def test(self, request, pk):
        self.json_object(request, allowed=())
        actor = actor_of(request)
        delivery = delivery_services.delivery_send_test(actor=actor, subscription_id=pk)
        # read again: the send runs after the service's commit (at once when tasks run in-process)
        delivery = delivery_selectors.delivery_get(actor=actor, subscription_id=pk, delivery_id=delivery.pk)
        return Response(delivery_selectors.delivery_document(delivery))


def register(router) -> None:
    router.register("webhooks", SubscriptionViewSet, basename="webhook")
