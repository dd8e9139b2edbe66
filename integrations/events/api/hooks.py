"""Hook endpoints over REST (/api/v1/integrations/hook-endpoints/), and the address senders post to,
/hooks/<endpoint_key>/, where the Standard Webhooks signature is the authentication."""

import re

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.events.api.rest import EventOutput
from integrations.events.commands.hooks import (
    HookDelivery,
    HookEndpointChanges,
    HookEndpointCreate,
    HookEndpointRef,
    HookEndpointUpdate,
    HooksError,
    HooksErrorCode,
)
from integrations.events.selectors import hooks as selectors
from integrations.events.services import hooks as services
from plum.api.auth import actor_of
from plum.api.idempotency import SecretOnce, idempotent
from plum.api.limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from plum.api.openapi import problems
from plum.api.query import HeaderContentNegotiation
from plum.api.scopes import PUBLIC, Scope
from plum.api.throttling import FixedWindowThrottle
from plum.api.views import PlumViewSet

MANAGE = Scope.INTEGRATIONS_MANAGE
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOT_FOUND = problems(_404="hook_endpoint_not_found")


class HookEndpointOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The path senders post to: /hooks/<endpoint_key>/")
    mapping = serializers.JSONField(help_text="Event fields and the JSON pointers they are read from")
    active = serializers.BooleanField()

    def to_representation(self, instance):
        return selectors.hook_endpoint_document(instance)


class HookEndpointWithSecretOutput(HookEndpointOutput):
    secret = serializers.CharField(help_text="whsec_…: shown in this answer only; store it now")


class HookEndpointCreatedOutput(HookEndpointOutput):
    secret = serializers.CharField(
        required=False,
        help_text="whsec_…: shown in this answer only; store it now. A replay of the creation (same "
        "Idempotency-Key) answers the endpoint without it.",
    )


def _with_secret(made: services.EndpointWithSecret) -> dict:
    return selectors.hook_endpoint_document(made.endpoint, secret=made.secret)


def _found(endpoint):
    if endpoint is None:
        raise HooksError(HooksErrorCode.HOOK_ENDPOINT_NOT_FOUND, "No such hook endpoint.")
    return endpoint


@extend_schema_view(
    list=extend_schema(responses=HookEndpointOutput(many=True), description="The organisation's hook endpoints."),
    retrieve=extend_schema(parameters=[ID], responses={200: HookEndpointOutput, **NOT_FOUND}),
    create=extend_schema(
        request=HookEndpointCreate,
        responses={201: HookEndpointCreatedOutput},
        description="201 with the signing secret, this once. The same Idempotency-Key again answers the endpoint "
        "it made, without the secret.",
    ),
    partial_update=extend_schema(
        parameters=[ID], request=HookEndpointChanges, responses={200: HookEndpointOutput, **NOT_FOUND}
    ),
    destroy=extend_schema(
        parameters=[ID],
        responses={200: HookEndpointOutput, **NOT_FOUND},
        description="Deactivates: the address answers 404 from now on; the endpoint, its receipts and the events "
        "it made stay. PATCH active=true opens it again.",
    ),
    rotate_secret=extend_schema(
        parameters=[ID],
        request=None,
        responses={200: HookEndpointWithSecretOutput, **NOT_FOUND},
        description="A new secret, answered this once; the previous one keeps verifying for 24 hours.",
    ),
)
class HookEndpointViewSet(SecretOnce, PlumViewSet):
    """Addresses other systems post signed events to (Standard Webhooks)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = UUID_PATTERN
    required_scopes = MANAGE
    serializer_class = HookEndpointOutput

    def list(self, request):
        page = self.paginate_queryset(selectors.hook_endpoint_list(actor=actor_of(request)))
        return self.get_paginated_response(HookEndpointOutput(page, many=True).data)

    def retrieve(self, request, pk):
        return Response(
            HookEndpointOutput(_found(selectors.hook_endpoint_find(actor=actor_of(request), endpoint_id=pk))).data
        )

    @idempotent
    def create(self, request):
        command = HookEndpointCreate.parse(self.json_object(request))
        made = services.hook_endpoint_create(actor=actor_of(request), command=command)
        self.secret_once(request, made.secret)
        return Response(selectors.hook_endpoint_document(made.endpoint), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        command = HookEndpointUpdate.of(pk, self.json_object(request))
        endpoint = services.hook_endpoint_update(actor=actor_of(request), command=command)
        return Response(HookEndpointOutput(endpoint).data)

    def destroy(self, request, pk):
        command = HookEndpointRef.parse({"endpoint_id": pk})
        endpoint = services.hook_endpoint_deactivate(actor=actor_of(request), command=command)
        return Response(HookEndpointOutput(endpoint).data)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk):
        self.json_object(request, allowed=())
        command = HookEndpointRef.parse({"endpoint_id": pk})
        made = services.hook_endpoint_rotate_secret(actor=actor_of(request), command=command)
        return Response(_with_secret(made))


class HookThrottle(FixedWindowThrottle):
    """The clients' rate, counted per endpoint: a sender posting without a token is throttled too."""

    scope = "client"

    def get_ident_key(self, request, view) -> str:
        return "h" + re.sub(r"[^A-Za-z0-9_-]", "", view.kwargs.get("endpoint_key", ""))[:64]


JSON_MEDIA_TYPES = ("application/json",)
SIGNATURE_HEADERS = [
    OpenApiParameter("endpoint_key", str, OpenApiParameter.PATH, description="As in the endpoint's url"),
] + [
    OpenApiParameter(name, str, OpenApiParameter.HEADER, required=True, description=description)
    for name, description in (
        ("webhook-id", "The message's id: the same id again replays the first answer"),
        ("webhook-timestamp", "Unix seconds; more than 5 minutes away from now is refused"),
        ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> (several, space-separated)"),
    )
]


class HookReceiveView(APIView):
    """POST /hooks/<endpoint_key>/: a signed body from another system becomes an event."""

    authentication_classes = []  # the signature authenticates (no cookies either: no CSRF)
    required_scopes = PUBLIC
    throttle_classes = [HookThrottle]
    content_negotiation_class = HeaderContentNegotiation

    def initial(self, request, *args, **kwargs):
        check_body_size(request, DEFAULT_MAX_BODY_BYTES)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="hooks_receive",
        auth=[],
        parameters=SIGNATURE_HEADERS,
        # required: an empty body is no event (an object with at least one member, read by the mapping)
        request={"application/json": {"type": "object", "minProperties": 1}},
        responses={
            201: OpenApiResponse(EventOutput, description="The event with its rewards, as POST /api/v1/events/"),
            200: OpenApiResponse(EventOutput, description="A repeated webhook-id or event_id: the event as it is now"),
            **problems(
                _401="invalid_signature",
                _404="hook_endpoint_not_found",
                _409="event_id_conflict, request_in_progress",
                _413="payload_too_large",
                _415="unsupported_media_type",
                _422="mapping_failed, employee_not_found",
            ),
        },
        description="Standard Webhooks: the signature of webhook-id, webhook-timestamp and the body under the "
        "endpoint's secret (or, for 24 hours after a rotation, the previous one). A bad, missing or stale signature "
        "is 401 and records nothing. The body is read with the endpoint's mapping; the answer is POST /events/'s.",
    )
    def post(self, request, endpoint_key):
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type not in JSON_MEDIA_TYPES:
            raise exceptions.UnsupportedMediaType(media_type or "(none)")
        delivery = HookDelivery(
            endpoint_key=endpoint_key,
            webhook_id=request.headers.get("webhook-id"),
            webhook_timestamp=request.headers.get("webhook-timestamp"),
            webhook_signature=request.headers.get("webhook-signature"),
            body=request.body,
        )
        received = services.hook_receive(delivery=delivery)
        return Response(EventOutput(received.event).data, status=received.http_status)


def register(router) -> None:
    router.register("integrations/hook-endpoints", HookEndpointViewSet, basename="hook-endpoint")


urlpatterns = [path("<str:endpoint_key>/", HookReceiveView.as_view(), name="hook-receive")]
