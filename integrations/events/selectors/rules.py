"""Reward rules and their one representation."""

from django.db.models import QuerySet

from integrations.events.errors import EventsError, EventsErrorCode
from integrations.events.models import Rule
from plum.core.actor import Actor
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso


def rule_list(*, actor: Actor, active: bool | None = None) -> QuerySet[Rule]:
    """The organisation's rules, inactive ones included (history keeps them) unless `active` says."""
    rules = Rule.objects.filter(organisation_id=actor.organisation_id).select_related("programme")
    return rules if active is None else rules.filter(active=active)


def rule_get(*, actor: Actor, rule_id) -> Rule:
    pk = parse_uuid(rule_id)
    rule = None if pk is None else rule_list(actor=actor).filter(pk=pk).first()
    if rule is None:
        raise EventsError(EventsErrorCode.RULE_NOT_FOUND, "No such rule in this organisation.")
    return rule


def rule_limit(rule: Rule) -> dict | None:
    return None if rule.limit_count is None else {"count": rule.limit_count, "per": rule.limit_per}


def rule_document(rule: Rule) -> dict:
    """The one representation of a rule: REST answers, GraphQL, the admin's preview."""
    return {
        "id": str(rule.id),
        "name": rule.name,
        "event_type": rule.event_type,
        "conditions": rule.conditions,
        "points": rule.points,
        "programme": rule.programme.code,
        "reason": rule.reason,
        "limit": rule_limit(rule),
        "active": rule.active,
        "starts_at": iso(rule.starts_at),
        "ends_at": iso(rule.ends_at),
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }


def rule_command_data(rule: Rule) -> dict:
    """A stored rule as RuleCommand reads it (a PATCH merges its fields into this)."""
    document = rule_document(rule)
    for name in ("id", "created_at", "updated_at"):
        document.pop(name)
    return document
