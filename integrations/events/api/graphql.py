"""Events and reward rules over GraphQL: the `events` and `rules` queries (read only; writes are REST's)."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from integrations.events import selectors
from integrations.events.models import Event, Reward, Rule
from plum.api.auth import actor_of
from plum.api.graphql.connection import CountedConnection, PlumConnectionField
from plum.api.graphql.inputs import plain
from plum.api.graphql.scalars import DateTime, GenericScalar
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope

PAGE_ARGUMENTS = ("first", "last", "before", "after", "offset")
RewardStatus = graphene.Enum(
    "RewardStatus", [(v, v) for v in Reward.Status.values], description="A points request's status, or refused."
)


class RewardType(graphene.ObjectType):
    """What one rule made of the event, as REST's `rewards` entries."""

    class Meta:
        name = "Reward"

    rule = graphene.UUID(required=True, description="The rule's id")
    request_id = graphene.String(required=True, description="evt:<event_id>:<rule id>")
    status = graphene.Field(RewardStatus, required=True)
    points = graphene.Int(required=True)
    balance_after = graphene.BigInt(description="The wallet's balance once credited")
    code = graphene.String(description="Why it was refused")

    @staticmethod
    def resolve_rule(reward, info):
        return reward.rule_id

    @staticmethod
    def resolve_status(reward, info):
        return str(reward.status)

    @staticmethod
    def resolve_code(reward, info):
        return reward.code or None


class EventNode(DjangoObjectType):
    """An event from another system and its rewards, as GET /api/v1/events/{event_id}/ shows it."""

    employee_id = graphene.String(required=True)
    data = GenericScalar(required=True)
    rewards = graphene.List(graphene.NonNull(RewardType), required=True)

    class Meta:
        model = Event
        name = "Event"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "event_id", "type", "occurred_at", "received_at", "source")

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(organisation_id=actor_of(info).organisation_id)

    def resolve_employee_id(self, info):
        return self.employee.employee_id

    def resolve_rewards(self, info):
        return list(self.rewards.all())


class RuleLimitType(graphene.ObjectType):
    class Meta:
        name = "RuleLimit"

    count = graphene.Int(required=True)
    per = graphene.String(required=True, description="day, month, year or ever")


class RuleNode(DjangoObjectType):
    """A reward rule, as GET /api/v1/integrations/rules/{id}/ shows it."""

    rule_id = graphene.UUID(required=True, description="The id REST uses")
    conditions = GenericScalar(required=True, description="[{field, op, value}]")
    points = GenericScalar(required=True, description="A whole number, or {from, multiplier, min, max}")
    programme = graphene.String(required=True, description="Programme code")
    limit = graphene.Field(RuleLimitType)

    class Meta:
        model = Rule
        name = "Rule"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "name", "event_type", "reason", "active", "starts_at", "ends_at", "created_at", "updated_at")

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(organisation_id=actor_of(info).organisation_id)

    def resolve_rule_id(self, info):
        return self.pk

    def resolve_programme(self, info):
        return self.programme.code

    def resolve_limit(self, info):
        return selectors.rule_limit(self)


def resolve_events(root, info, **kwargs):
    filters = plain({k: v for k, v in kwargs.items() if k not in PAGE_ARGUMENTS})
    if filters.get("received_since") is not None:
        filters["received_since"] = filters["received_since"].isoformat()
    return selectors.event_list(actor=actor_of(info), filters=filters).order_by("-received_at", "-id")


def resolve_rules(root, info, active=None, **kwargs):
    return selectors.rule_list(actor=actor_of(info), active=active).order_by("name", "id")


class EventsQuery(graphene.ObjectType):
    events = PlumConnectionField(
        EventNode, type=graphene.String(), employee_id=graphene.String(), received_since=DateTime()
    )
    rules = PlumConnectionField(RuleNode, active=graphene.Boolean(description="Only active or inactive ones"))

    resolve_events = resolve_events
    resolve_rules = resolve_rules


register_query_scopes({"events": Scope.POINTS_READ, "rules": Scope.INTEGRATIONS_MANAGE})
