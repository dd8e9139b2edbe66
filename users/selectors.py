"""Reads, always scoped to the caller's organisation."""

from collections.abc import Mapping

from django.db.models import QuerySet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.text import storable_text
from plum.core.timefmt import iso
from users.errors import EmployeeNotFound
from users.filters import EmployeeFilter
from users.models import EMPLOYEE_PLAIN_FIELDS, ApiClient, BusinessUnit, CostCentre, Employee, Organisation


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


def employee_get(*, actor: Actor, employee_id: str, for_update: bool = False) -> Employee:
    """`for_update` locks the employee's row (not its business unit, cost centre or manager)."""
    if not _queryable(employee_id):
        raise EmployeeNotFound(employee_id)
    employees = _employees(actor)
    if for_update:
        employees = employees.select_for_update(of=("self",))
    employee = employees.filter(employee_id=employee_id).first()
    if employee is None:
        raise EmployeeNotFound(employee_id)
    return employee


def _queryable(key) -> bool:
    """A key PostgreSQL can compare: text without NUL, encodable as UTF-8 (ids come from URLs and GraphQL)."""
    if not isinstance(key, str) or "\x00" in key:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def business_unit_list(*, actor: Actor) -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.filter(organisation_id=actor.organisation_id)


def cost_centre_list(*, actor: Actor) -> QuerySet[CostCentre]:
    return CostCentre.objects.filter(organisation_id=actor.organisation_id)


def organisation_get_by_slug(slug: str) -> Organisation | None:
    """For operations tooling (commands, admin), which acts across organisations by design."""
    if not storable_text(slug):  # a NUL names no organisation; PostgreSQL would refuse the query
        return None
    return Organisation.objects.filter(slug=slug).first()


def api_client_list(*, organisation: Organisation) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(organisation=organisation)


def employee_document(e: Employee) -> dict:
    """The one representation of an employee: REST answers, webhook payloads, GraphQL parity."""
    return employee_document_from_values(
        {
            **{name: getattr(e, name) for name in DOCUMENT_FIELDS},
            "business_unit": e.business_unit.code if e.business_unit_id else None,
            "cost_centre": e.cost_centre.code if e.cost_centre_id else None,
            "manager_employee_id": e.manager.employee_id if e.manager_id else None,
        }
    )


def employee_document_from_values(v: Mapping) -> dict:
    """The same document from plain values (codes, not ids): the bulk sync builds 10,000 at a time."""
    return {
        "employee_id": v["employee_id"],
        "email": v["email"],
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "status": v["status"],
        "role": v["role"],
        "department": v["department"],
        "business_unit": v["business_unit"],
        "cost_centre": v["cost_centre"],
        "country": v["country"],
        "manager_employee_id": v["manager_employee_id"],
        "hire_date": v["hire_date"].isoformat() if v["hire_date"] else None,
        "exit_date": v["exit_date"].isoformat() if v["exit_date"] else None,
        "slack_user_id": v["slack_user_id"],
        "teams_user_id": v["teams_user_id"],
        "created_at": iso(v["created_at"]),
        "updated_at": iso(v["updated_at"]),
    }


# Model fields copied as they are into the document.
DOCUMENT_FIELDS = ("employee_id", *EMPLOYEE_PLAIN_FIELDS, "created_at", "updated_at")
