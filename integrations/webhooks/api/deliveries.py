"""A subscription's deliveries over REST: /api/v1/webhooks/{id}/deliveries/ and …/{delivery_id}/retry/
(scope integrations:manage; another organisation's subscription or delivery is 404)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.webhooks.models import Delivery
from integrations.webhooks.selectors import deliveries as selectors
from integrations.webhooks.services import deliveries as services
from plum.api.auth import actor_of
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

SUBSCRIPTION_ID = OpenApiParameter(
    "subscription_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The webhook subscription's `id`"
)
DELIVERY_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The delivery's `id`")


class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField(help_text="The event's id: the body's `id` and the `webhook-id` header")
    event_type = serializers.CharField()
    state = enum_field("DeliveryState", Delivery.State.choices)
    attempts = serializers.IntegerField(help_text="Attempts made so far (8 at most, then `dead`)")
    last_status_code = serializers.IntegerField(allow_null=True, help_text="What the receiver last answered")
    last_error = serializers.CharField(help_text="Why the last attempt failed; empty once delivered")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When it is (re)sent; null once delivered or dead"
    )
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return selectors.delivery_document(instance)


@extend_schema_view(
    list=extend_schema(
        description="The subscription's deliveries, newest first: one per event sent to it, with its state and "
        "the last answer. Failed deliveries are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, "
        "then `dead`.",
        parameters=[SUBSCRIPTION_ID, *filter_parameters(selectors.DeliveryFilter)],
        responses={200: DeliveryOutput(many=True), **problems(_404="subscription_not_found")},
    ),
    retry=extend_schema(
        description="Send a `failed` or `dead` delivery again now (202: queued; its state is `pending`). It "
        "keeps its event id and its attempt count: a failed one then resumes its schedule, a dead one gets one "
        "more attempt. A `delivered` or `pending` delivery is 409 delivery_not_retryable; a disabled "
        "subscription 409 subscription_inactive.",
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID],
        request=None,
        responses={
            202: DeliveryOutput,
            **problems(
                _404="subscription_not_found, delivery_not_found",
                _409="delivery_not_retryable, subscription_inactive",
            ),
        },
    ),
)
class DeliveryViewSet(PlumViewSet):
    """Deliveries of one webhook subscription: what was sent, what the receiver answered, what comes next."""

    lookup_value_regex = "[^/.]+"
    required_scopes = Scope.INTEGRATIONS_MANAGE
    serializer_class = DeliveryOutput
    filterset_class = selectors.DeliveryFilter
    pagination_ordering = ("-created_at", "-id")

    def list(self, request, subscription_id):
        deliveries = selectors.delivery_list(
            actor=actor_of(request), subscription_id=subscription_id, filters=request.query_params
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)

    @action(detail=True, methods=["post"])
    def retry(self, request, subscription_id, pk):
        self.json_object(request, allowed=())
        actor = actor_of(request)
        delivery = services.delivery_retry(actor=actor, subscription_id=subscription_id, delivery_id=pk)
        delivery = selectors.delivery_get(actor=actor, subscription_id=subscription_id, delivery_id=delivery.pk)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register(r"webhooks/(?P<subscription_id>[^/.]+)/deliveries", DeliveryViewSet, basename="webhook-delivery")
