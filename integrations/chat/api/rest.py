"""REST: /api/v1/integrations/notifications/ channels and their test message (scope integrations:manage).
Write-only fields (webhook_url, signing_secret, bot_token, outgoing_secret) are in no answer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.chat import selectors
from integrations.chat.commands import (
    EVENT_TYPES,
    ChannelChanges,
    ChannelCreate,
    ChannelRef,
    ChannelTest,
    ChannelTestOptions,
    ChannelUpdate,
)
from integrations.chat.models import Channel, Notification
from integrations.chat.services import channels as services
from integrations.chat.services import notifications as sending
from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The channel's `id`")
NOT_FOUND = problems(_404="channel_not_found")
REFUSED = problems(_409="team_id_taken", _422="url_not_allowed, approver_not_found")


class ChannelOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = enum_field("NotificationChannelKind", Channel.Kind.choices)
    events = serializers.ListField(child=enum_field("WebhookEventType", [(t, t) for t in EVENT_TYPES]))
    target = enum_field("NotificationChannelTarget", Channel.Target.choices)
    approvers = serializers.ListField(child=serializers.CharField(), help_text="Employee ids who may approve")
    templates = serializers.DictField(child=serializers.CharField(), help_text="Message text per event type")
    active = serializers.BooleanField(help_text="An inactive channel receives nothing")
    disabled_reason = serializers.CharField(
        help_text="Why Plum stopped sending (410, no_service, …); empty while active"
    )
    team_id = serializers.CharField(help_text="slack_app: the Slack workspace id; empty for other kinds")
    slack_channel_id = serializers.CharField(help_text="slack_app with target channel: the Slack channel id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.channel_document(instance)


class NotificationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    channel_id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    state = enum_field("NotificationState", Notification.State.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True, help_text="What Slack or Teams last answered")
    last_error = serializers.CharField(help_text="Why the last send failed or was skipped; empty once sent")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return selectors.notification_document(instance)


@extend_schema_view(
    list=extend_schema(
        description="The organisation's Slack and Teams channels, oldest first; never their secrets.",
        responses=ChannelOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[ID], responses={200: ChannelOutput, **NOT_FOUND}),
    create=extend_schema(
        request=ChannelCreate,
        responses={201: ChannelOutput, **REFUSED},
        description="A channel of one kind. slack_webhook: webhook_url (signing_secret optional); slack_app: "
        "bot_token, signing_secret, team_id and, for target channel, slack_channel_id; teams_workflow: webhook_url "
        "(outgoing_secret optional). Only slack_app may target employee (a direct message to the employee an "
        "event is about). Write-only fields are stored sealed and never shown again. 422 url_not_allowed for a "
        "webhook URL the outbound guard refuses; 409 team_id_taken for a workspace of another organisation.",
    ),
    partial_update=extend_schema(
        parameters=[ID],
        request=ChannelChanges,
        responses={200: ChannelOutput, **NOT_FOUND, **REFUSED},
        description="Change what is sent; a write-only field sent replaces the stored one (an empty string "
        "removes an optional one). `active: true` re-enables a channel Plum disabled and clears disabled_reason.",
    ),
    destroy=extend_schema(
        parameters=[ID],
        responses={204: None, **NOT_FOUND},
        description="Delete the channel and its notifications' history.",
    ),
    test=extend_schema(
        parameters=[ID],
        request=ChannelTestOptions,
        responses={200: NotificationOutput, **NOT_FOUND, **problems(_409="channel_inactive")},
        description="Send a test message now and answer how it went (state, last_status_code, last_error). A "
        "channel with target employee writes it to the employee named by `employee_id`.",
    ),
)
class ChannelViewSet(PlumViewSet):
    """Slack and Microsoft Teams channels that announce Plum's events."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_scopes = Scope.INTEGRATIONS_MANAGE
    serializer_class = ChannelOutput
    pagination_ordering = ("created_at", "id")

    def list(self, request):
        page = self.paginate_queryset(selectors.channel_list(actor=actor_of(request)))
        return self.get_paginated_response(ChannelOutput(page, many=True).data)

    def retrieve(self, request, pk):
        return Response(ChannelOutput(selectors.channel_get(actor=actor_of(request), channel_id=pk)).data)

    @idempotent
    def create(self, request):
        command = ChannelCreate.parse(self.json_object(request))
        channel = services.channel_create(actor=actor_of(request), command=command)
        return Response(ChannelOutput(channel).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        command = ChannelUpdate.of(pk, self.json_object(request))
        return Response(ChannelOutput(services.channel_update(actor=actor_of(request), command=command)).data)

    def destroy(self, request, pk):
        services.channel_delete(actor=actor_of(request), command=ChannelRef.parse({"channel_id": pk}))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def test(self, request, pk):
        options = ChannelTestOptions.parse(self.json_object(request))
        command = ChannelTest.parse({**options.given(), "channel_id": pk})
        notification = sending.channel_send_test(actor=actor_of(request), command=command)
        return Response(NotificationOutput(notification).data)


def register(router) -> None:
    router.register("integrations/notifications", ChannelViewSet, basename="chat-channel")
