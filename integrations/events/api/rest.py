"""Events (POST/GET /api/v1/events/) and reward rules (/api/v1/integrations/rules/) over REST."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.events import selectors, services
from integrations.events.commands import EventCommand, RuleCommand, RulePatchCommand, RuleTestCommand
from integrations.events.models import Reward
from integrations.events.selectors import EventFilter
from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import enum_field, filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
EVENT_ID = OpenApiParameter("event_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Your event_id")
RULE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The rule's id")


class RewardOutput(serializers.Serializer):
    rule = serializers.UUIDField(help_text="The rule's id")
    request_id = serializers.CharField(help_text="The points request's request_id: evt:<event_id>:<rule id>")
    status = enum_field("RewardStatus", Reward.Status.choices)
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField(allow_null=True, help_text="The wallet's balance once credited")
    code = serializers.CharField(allow_null=True, help_text="Why it was refused (status refused), else null")


class EventOutput(serializers.Serializer):
    event_id = serializers.CharField()
    type = serializers.CharField()
    employee_id = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    source = serializers.CharField(help_text="api, hook:<endpoint>, or plum (anniversaries)")
    data = serializers.DictField()
    rewards = RewardOutput(many=True, help_text="One per matching rule, in the rules' name order")

    def to_representation(self, instance):
        return selectors.event_document(instance)


@extend_schema_view(
    list=extend_schema(
        description="Events, newest first, with their rewards.",
        parameters=filter_parameters(EventFilter),
        responses=EventOutput(many=True),
    ),
    retrieve=extend_schema(parameters=[EVENT_ID], responses={200: EventOutput, **problems(_404="event_not_found")}),
    create=extend_schema(
        request=EventCommand,
        responses={
            201: EventOutput,
            200: EventOutput,
            **problems(_409="event_id_conflict, request_in_progress", _422="employee_not_found"),
        },
        description="201 with one reward per matching rule: the points request's status (credited, "
        "pending_approval) or, refused, its code (employee_inactive, budget_exhausted, limit_reached, …). "
        "A repeated event_id with the same body: 200 with the event as recorded; another body: 409.",
    ),
)
class EventViewSet(PlumViewSet):
    """Events from your systems; the reward rules in force turn them into points requests at once."""

    lookup_field = "event_id"
    lookup_value_regex = ".+"  # an event_id may hold "/" (sent as %2F): no route lies below an event
    required_scopes = {"list": Scope.POINTS_READ, "retrieve": Scope.POINTS_READ, "create": Scope.POINTS_WRITE}
    serializer_class = EventOutput
    filterset_class = EventFilter
    pagination_ordering = ("-received_at", "-id")

    def list(self, request):
        events = selectors.event_list(actor=actor_of(request), filters=request.query_params)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventOutput(page, many=True).data)

    def retrieve(self, request, event_id):
        return Response(EventOutput(selectors.event_get(actor=actor_of(request), event_id=event_id)).data)

    @idempotent
    def create(self, request):
        command = EventCommand.parse(self.json_object(request))
        received = services.event_receive(actor=actor_of(request), command=command)
        return Response(EventOutput(received.event).data, status=received.http_status)


class ConditionOutput(serializers.Serializer):
    field = serializers.CharField()
    op = serializers.CharField()
    value = serializers.JSONField()


class LimitOutput(serializers.Serializer):
    count = serializers.IntegerField()
    per = serializers.CharField()


class RuleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    event_type = serializers.CharField()
    conditions = ConditionOutput(many=True)
    points = serializers.JSONField(help_text="A whole number, or {from, multiplier, min, max}")
    programme = serializers.CharField(help_text="Programme code")
    reason = serializers.CharField()
    limit = LimitOutput(allow_null=True)
    active = serializers.BooleanField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.rule_document(instance)


class DryRunOutput(serializers.Serializer):
    matches = serializers.BooleanField()
    points = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="One per step, in order")


NOT_FOUND = problems(_404="rule_not_found")
RULE_REFUSALS = problems(_409="rule_name_exists", _422="programme_not_found, points_bounds_inverted")


@extend_schema_view(
    list=extend_schema(description="The organisation's rules, inactive ones too.", responses=RuleOutput(many=True)),
    retrieve=extend_schema(parameters=[RULE_ID], responses={200: RuleOutput, **NOT_FOUND}),
    create=extend_schema(
        request=RuleCommand,
        responses={201: RuleOutput, **RULE_REFUSALS},
        description="400 with an errors entry per bad field (conditions[0].op, points.multiplier, limit.per); "
        "422 programme_not_found or points_bounds_inverted; 409 rule_name_exists for a name the organisation uses.",
    ),
    partial_update=extend_schema(
        parameters=[RULE_ID],
        request=RulePatchCommand,
        responses={200: RuleOutput, **NOT_FOUND, **RULE_REFUSALS},
        description="The fields sent replace the rule's; the rule as a whole must stay valid (400, 422).",
    ),
    destroy=extend_schema(
        parameters=[RULE_ID],
        responses={200: RuleOutput, **NOT_FOUND},
        description="Deactivates: the rule stops rewarding and stays, with its rewards. PATCH active=true revives it.",
    ),
    test=extend_schema(
        parameters=[RULE_ID],
        request=RuleTestCommand,
        responses={200: DryRunOutput, **NOT_FOUND, **problems(_422="employee_not_found")},
        description="What the event would get from this rule, and why; changes nothing.",
    ),
)
class RuleViewSet(PlumViewSet):
    """Reward rules: events of a type that meet the conditions earn points from a programme."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = UUID_PATTERN
    required_scopes = Scope.INTEGRATIONS_MANAGE
    serializer_class = RuleOutput
    pagination_ordering = ("name", "id")

    def list(self, request):
        page = self.paginate_queryset(selectors.rule_list(actor=actor_of(request)))
        return self.get_paginated_response(RuleOutput(page, many=True).data)

    def retrieve(self, request, pk):
        return Response(RuleOutput(selectors.rule_get(actor=actor_of(request), rule_id=pk)).data)

    @idempotent
    def create(self, request):
        command = RuleCommand.parse(self.json_object(request))
        rule = services.rule_create(actor=actor_of(request), command=command)
        return Response(RuleOutput(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        command = RulePatchCommand.parse(self.json_object(request))
        rule = services.rule_update(actor=actor_of(request), rule_id=pk, command=command)
        return Response(RuleOutput(rule).data)

    def destroy(self, request, pk):
        rule = services.rule_deactivate(actor=actor_of(request), rule_id=pk)
        return Response(RuleOutput(rule).data)

    @action(detail=True, methods=["post"])
    def test(self, request, pk):
        command = RuleTestCommand.parse(self.json_object(request))
        dry_run = services.rule_test(actor=actor_of(request), rule_id=pk, command=command)
        return Response(dry_run.as_document())


def register(router) -> None:
    router.register("events", EventViewSet, basename="event")
    router.register("integrations/rules", RuleViewSet, basename="rule")
