"""Reward rules: create, change, deactivate (DELETE keeps the history), and the dry run that changes nothing."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.events import interpreter
from integrations.events.commands import RuleCommand, RulePatchCommand, RuleTestCommand
from integrations.events.errors import EventsError, EventsErrorCode
from integrations.events.models import Rule, RuleUsage
from integrations.events.selectors import rule_command_data, rule_get
from integrations.events.services.events import employee_attributes, limit_period
from integrations.trail import record_changed, record_created
from plum.core.actor import Actor
from points.models import Programme
from users.models import Employee

PERIOD_WORDS = {"day": "today", "month": "this month", "year": "this year", "ever": "ever"}


@dataclass(frozen=True)
class DryRun:
    matches: bool
    points: int | None
    reasons: list[str]

    def as_document(self) -> dict:
        return {"matches": self.matches, "points": self.points, "reasons": self.reasons}


def _programme(actor: Actor, command: RuleCommand) -> Programme:
    """The rule's programme, once the rule's own values agree with each other (both 422)."""
    points = command.points
    if isinstance(points, dict) and None not in (points["min"], points["max"]) and points["max"] < points["min"]:
        raise EventsError(EventsErrorCode.POINTS_BOUNDS_INVERTED, "points.max is below points.min.", field="points.max")
    code = command.programme
    programme = Programme.objects.filter(organisation_id=actor.organisation_id, code=code).first()
    if programme is None:
        raise EventsError(EventsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {code!r}.", field="programme")
    return programme


def _save(rule: Rule) -> Rule:
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as error:
        if "rule_unique_name" not in str(error):
            raise
        raise EventsError(
            EventsErrorCode.RULE_NAME_EXISTS, f"A rule named {rule.name!r} exists already.", field="name"
        ) from None
    return rule


def rule_create(*, actor: Actor, command: RuleCommand) -> Rule:
    """422 for a programme the organisation does not have; 409 rule_name_exists for a name in use."""
    rule = Rule(organisation_id=actor.organisation_id, programme=_programme(actor, command))
    for name, value in command.stored().items():
        setattr(rule, name, value)
    with transaction.atomic():
        _save(rule)
        record_created(actor, "reward_rule.created", rule.pk, rule_command_data(rule))
    return rule


def rule_update(*, actor: Actor, rule_id, command: RulePatchCommand) -> Rule:
    """The fields sent replace the rule's; the whole rule must still be valid (400 naming the fields)."""
    with transaction.atomic():
        rule = rule_get(actor=actor, rule_id=rule_id)  # 404 for another organisation's
        rule = Rule.objects.select_for_update(of=("self",)).select_related("programme").get(pk=rule.pk)
        before = rule_command_data(rule)
        changes = command.model_dump(mode="json", by_alias=True, include=command.model_fields_set)
        whole = RuleCommand.parse({**before, **changes})
        rule.programme = _programme(actor, whole)
        for name, value in whole.stored().items():
            setattr(rule, name, value)
        _save(rule)
        record_changed(actor, "reward_rule.updated", rule.pk, before, rule_command_data(rule))
        return rule


def rule_deactivate(*, actor: Actor, rule_id) -> Rule:
    """DELETE: the rule stops rewarding; it stays, with the rewards it gave."""
    rule = rule_get(actor=actor, rule_id=rule_id)
    with transaction.atomic():
        if Rule.objects.filter(pk=rule.pk, active=True).update(active=False, updated_at=timezone.now()):
            record_changed(actor, "reward_rule.deactivated", rule.pk, {"active": True}, {"active": False})
    rule.refresh_from_db()
    return rule


def rule_test(*, actor: Actor, rule_id, command: RuleTestCommand) -> DryRun:
    return rule_dry_run(actor=actor, rule=rule_get(actor=actor, rule_id=rule_id), command=command)


def rule_dry_run(*, actor: Actor, rule: Rule, command: RuleTestCommand) -> DryRun:
    """What the event would get from this rule, with a reason per step; reads only. 422 employee_not_found."""
    employee = (
        Employee.objects.select_related("business_unit", "cost_centre")
        .filter(organisation_id=actor.organisation_id, employee_id=command.employee_id)
        .first()
    )
    if employee is None:
        raise EventsError(
            EventsErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {command.employee_id!r}.", field="employee_id"
        )
    moment = command.occurred_at or timezone.now()
    reasons, in_force = [], True
    if command.type != rule.event_type:
        in_force = False
        reasons.append(f"type {command.type!r} is not the rule's event_type {rule.event_type!r}")
    if not rule.active:
        in_force = False
        reasons.append("the rule is inactive")
    if (rule.starts_at and moment < rule.starts_at) or (rule.ends_at and moment >= rule.ends_at):
        in_force = False
        reasons.append("occurred_at is outside the rule's starts_at and ends_at")
    verdict = interpreter.evaluate(
        conditions=rule.conditions, points=rule.points, data=command.data, employee=_attributes(employee)
    )
    reasons.extend(verdict.reasons)
    matches = in_force and verdict.matches
    if matches and rule.limit_count is not None:
        reasons.append(_limit_reason(rule, employee, moment))
    return DryRun(matches, verdict.points if matches else None, reasons)


def _attributes(employee: Employee) -> dict:
    values = (
        employee.business_unit.code if employee.business_unit else None,
        employee.cost_centre.code if employee.cost_centre else None,
        employee.country,
        employee.department,
        employee.role,
        employee.hire_date,
    )
    return employee_attributes(values)


def _limit_reason(rule: Rule, employee: Employee, moment) -> str:
    period = limit_period(rule.limit_per, moment)
    used = RuleUsage.objects.filter(rule=rule, employee=employee, period=period).values_list("count", flat=True)
    count = next(iter(used), 0)
    words = f"limit: {count} of {rule.limit_count} rewards {PERIOD_WORDS[rule.limit_per]}"
    return f"{words}: it would be refused with limit_reached" if count >= rule.limit_count else words
