"""Reads, always scoped to the caller's organisation."""

from collections.abc import Mapping

from django.db.models import QuerySet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from users.errors import EmployeeNotFound
from users.filters import EmployeeFilter
from users.models import ApiClient, BusinessUnit, CostCentre, Employee, Organisation


def _employees(actor: Actor) -> QuerySet[Employee]:
    return Employee.objects.filter(organisation_id=actor.organisation_id).select_related(
        "business_unit", "cost_centre", "manager"
    )


def employee_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[Employee]:
    filterset = EmployeeFilter(data=filters or {}, queryset=_employees(actor))
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def employee_get(*, actor: Actor, employee_id: str) -> Employee:
    employee = _employees(actor).filter(employee_id=employee_id).first()
    if employee is None:
        raise EmployeeNotFound(employee_id)
    return employee


def business_unit_list(*, actor: Actor) -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.filter(organisation_id=actor.organisation_id)


def cost_centre_list(*, actor: Actor) -> QuerySet[CostCentre]:
    return CostCentre.objects.filter(organisation_id=actor.organisation_id)


def organisation_get_by_slug(slug: str) -> Organisation | None:
    """For operations tooling (commands, admin), which acts across organisations by design."""
    return Organisation.objects.filter(slug=slug).first()


def api_client_list(*, organisation: Organisation) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(organisation=organisation)


def employee_document(e: Employee) -> dict:
    """The one representation of an employee: REST answers, webhook payloads, GraphQL parity."""
    return {
        "employee_id": e.employee_id,
        "email": e.email,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "status": e.status,
        "role": e.role,
        "department": e.department,
        "business_unit": e.business_unit.code if e.business_unit_id else None,
        "cost_centre": e.cost_centre.code if e.cost_centre_id else None,
        "country": e.country,
        "manager_employee_id": e.manager.employee_id if e.manager_id else None,
        "hire_date": e.hire_date.isoformat() if e.hire_date else None,
        "exit_date": e.exit_date.isoformat() if e.exit_date else None,
        "slack_user_id": e.slack_user_id,
        "teams_user_id": e.teams_user_id,
        "created_at": _iso(e.created_at),
        "updated_at": _iso(e.updated_at),
    }


def _iso(value) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
