"""Employee writes: create, update, deactivate. Bulk sync is in sync.py."""

from django.db import IntegrityError, connection, transaction

from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import DomainError, ValidationFailed
from plum.core.outbox import Event
from users.commands import EmployeeCreate, EmployeeDeactivate, EmployeeUpdate, dates_error
from users.errors import EmployeeErased, EmployeeExists, UsersErrorCode
from users.models import EMPLOYEE_PLAIN_FIELDS, BusinessUnit, CostCentre, Employee
from users.selectors import employee_document, employee_get

# --- Employees -------------------------------------------------------------------------------


def _event(event_type: str, employee: Employee) -> Event:
    return Event(event_type, "employee", employee.employee_id, employee_document(employee))


def _stored(document: dict) -> dict:
    """What the audit trail compares: the document without the timestamps every write moves."""
    return {k: v for k, v in document.items() if k not in ("created_at", "updated_at")}


def dimension_ids(model, organisation_id, codes) -> dict[str, object]:
    """Business units / cost centres by code, created on first use (race-safe: ON CONFLICT)."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    model.objects.bulk_create([model(organisation_id=organisation_id, code=c) for c in codes], ignore_conflicts=True)
    return dict(model.objects.filter(organisation_id=organisation_id, code__in=codes).values_list("code", "id"))


def _apply(employee: Employee, clean: dict, *, managers: dict, units: dict, centres: dict) -> None:
    for field in EMPLOYEE_PLAIN_FIELDS:
        if field in clean:
            setattr(employee, field, clean[field])
    if "business_unit" in clean:
        employee.business_unit_id = units.get(clean["business_unit"])
    if "cost_centre" in clean:
        employee.cost_centre_id = centres.get(clean["cost_centre"])
    if "manager_employee_id" in clean:
        employee.manager_id = managers.get(clean["manager_employee_id"])


def _apply_clean(actor: Actor, employee: Employee, clean: dict) -> None:
    """Set the cleaned fields, resolving the manager and creating business units / cost centres."""
    _apply(
        employee,
        clean,
        managers=_resolve_manager(actor, clean),
        units=dimension_ids(BusinessUnit, actor.organisation_id, [clean.get("business_unit")]),
        centres=dimension_ids(CostCentre, actor.organisation_id, [clean.get("cost_centre")]),
    )


def _state(employee: Employee) -> tuple:
    return (
        *(getattr(employee, f) for f in EMPLOYEE_PLAIN_FIELDS),
        employee.business_unit_id,
        employee.cost_centre_id,
        employee.manager_id,
    )


def _resolve_manager(actor: Actor, clean: dict) -> dict:
    manager_key = clean.get("manager_employee_id")
    if not manager_key:
        return {}
    manager = Employee.objects.filter(organisation_id=actor.organisation_id, employee_id=manager_key).first()
    if manager is None:
        raise DomainError(
            UsersErrorCode.MANAGER_NOT_FOUND,
            f"No employee {manager_key!r} to be the manager.",
            field="manager_employee_id",
        )
    return {manager_key: manager.pk}


def _refuse_self_manager(employee_id: str, clean: dict) -> None:
    if clean.get("manager_employee_id") == employee_id:
        raise DomainError(
            UsersErrorCode.MANAGER_IS_SELF, "An employee cannot manage themselves.", field="manager_employee_id"
        )


def employee_create(*, actor: Actor, command: EmployeeCreate) -> Employee:
    clean = command.given()
    _refuse_self_manager(command.employee_id, clean)
    with transaction.atomic():
        employee = Employee(organisation_id=actor.organisation_id, employee_id=command.employee_id)
        _apply_clean(actor, employee, clean)
        try:
            with transaction.atomic():
                employee.save(force_insert=True)
        except IntegrityError as exc:
            if "employee_id_per_org" in str(exc):
                raise EmployeeExists(command.employee_id) from None
            raise
        employee = employee_get(actor=actor, employee_id=employee.employee_id)
        event = _event("employee.created", employee)
        audit.record_event(actor=actor, event=event, changes=audit.created(_stored(event.payload)))
    return employee


def employee_update(*, actor: Actor, command: EmployeeUpdate) -> Employee:
    """Partial: omitted fields keep their values. A change that changes nothing writes nothing."""
    employee_id, clean = command.employee_id, command.changes()
    with transaction.atomic():
        employee = employee_get(actor=actor, employee_id=employee_id, for_update=True)
        if employee.erased_at is not None:
            raise EmployeeErased(employee_id)
        before, document_before = _state(employee), employee_document(employee)
        was_active = employee.status == Employee.Status.ACTIVE
        _refuse_self_manager(employee_id, clean)
        _apply_clean(actor, employee, clean)
        if error := dates_error(employee.hire_date, employee.exit_date):
            raise ValidationFailed([error])
        if _state(employee) == before:
            return employee  # nothing to write or announce (a new business unit would be a change)
        employee.save()
        employee = employee_get(actor=actor, employee_id=employee_id)
        deactivated = was_active and employee.status == Employee.Status.INACTIVE
        event = _event("employee.deactivated" if deactivated else "employee.updated", employee)
        changes = audit.changes_between(_stored(document_before), _stored(event.payload))
        audit.record_event(actor=actor, event=event, changes=changes)
    return employee


def employee_deactivate(*, actor: Actor, command: EmployeeDeactivate) -> Employee:
    """Idempotent: deactivating an inactive employee changes nothing and emits nothing."""
    with transaction.atomic():
        employee = employee_get(actor=actor, employee_id=command.employee_id, for_update=True)
        if employee.status == Employee.Status.INACTIVE:
            return employee
        employee.status = Employee.Status.INACTIVE
        employee.save(update_fields=["status", "updated_at"])
        changes = {"status": [Employee.Status.ACTIVE.value, Employee.Status.INACTIVE.value]}
        audit.record_event(actor=actor, event=_event("employee.deactivated", employee), changes=changes)
    return employee


def lock_organisation(organisation_id, purpose: str) -> None:
    """Serialise one kind of bulk work per organisation for the rest of the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{purpose}:{organisation_id}"])
