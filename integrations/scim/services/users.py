"""SCIM Users onto employees: create, replace, patch, delete (deactivate), and adopt the employees other
doors created. Employees are only ever written through the users services, which emit their events."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.scim.commands import ResourcePatch, ResourceRef, UserWrite
from integrations.scim.errors import ScimError, ScimErrorCode, invalid_value
from integrations.scim.models import ScimIdentity
from integrations.scim.resources import EnterpriseUser, FullUser
from integrations.scim.selectors import users as selectors
from integrations.scim.services import writes
from plum.core import audit
from plum.core.actor import Actor
from plum.core.text import storable_text
from users import services as users
from users.commands import EmployeeDeactivate
from users.models import Employee

TEXT_LIMITS = {"userName": 255, "externalId": 255, "organization": 255, "emails.type": 64}


def users_adopt(*, actor: Actor, employee_pk=None) -> None:
    """Employees without a SCIM identity get one (all of them, or the one named): userName their email,
    else their employee_id, else their id when that name is taken (case-insensitively) already."""
    for user_name_of in (lambda e: e["email"], lambda e: e["employee_id"], lambda e: str(e["pk"])):
        missing = selectors.employees_without_identity(actor=actor, employee_pk=employee_pk)
        if not missing:
            return
        identities = [
            ScimIdentity(
                organisation_id=actor.organisation_id,
                employee_id=e["pk"],
                user_name=user_name_of(e),
                email_type="work",
                email_primary=True,
            )
            for e in missing
        ]
        ScimIdentity.objects.bulk_create(identities, ignore_conflicts=True)


def user_create(*, actor: Actor, command: UserWrite) -> ScimIdentity:
    """A new employee, or one that exists without an identity provider's claim on it (created by another
    door, or deleted through SCIM before) when employeeNumber names it: it is then linked and replaced."""
    user = command.user
    fields = {"employee_id": command.employee_id, **_employee_fields(actor, user, None)}
    creation = writes.creation(fields)
    with transaction.atomic():
        employee = (
            Employee.objects.select_for_update()
            .filter(organisation_id=actor.organisation_id, employee_id=creation.employee_id)
            .first()
        )
        identity = ScimIdentity.objects.select_for_update().filter(employee=employee).first() if employee else None
        if identity is not None and identity.deleted_at is None and identity.provisioned:
            raise ScimError(
                ScimErrorCode.UNIQUENESS, f"employeeNumber {fields['employee_id']!r} is already a SCIM user."
            )
        before = writes.user_snapshot(employee, identity)
        with audit.suppressed():
            if employee is None:
                employee = writes.employee_create(actor, creation)
            else:
                employee = writes.employee_update(actor, employee.employee_id, _changes(fields))
            new = identity is None
            identity = identity or ScimIdentity(organisation_id=actor.organisation_id, employee=employee)
            _save_identity(identity, user, new=new)
        writes.record_user(actor, before, employee.employee_id, identity)
    return selectors.user_get(actor=actor, user_id=employee.pk)


def user_replace(*, actor: Actor, command: UserWrite) -> ScimIdentity:
    """PUT: every attribute is replaced (one left out is cleared), except employeeNumber, which never
    changes, and `active`, kept when left out."""
    with transaction.atomic():
        identity = selectors.user_get(actor=actor, user_id=command.resource_id, for_update=True)
        writes.check_if_match(command.if_match, selectors.user_version(identity))
        _refuse_another_employee_number(identity.employee, [command.employee_id] if command.employee_id else [])
        user = command.user.model_copy(deep=True)
        if "active" in command.kept:
            user.active = identity.employee.status == Employee.Status.ACTIVE
        _write(actor, identity, user)
    return selectors.user_get(actor=actor, user_id=identity.pk)


def user_patch(*, actor: Actor, command: ResourcePatch) -> ScimIdentity:
    with transaction.atomic():
        identity = selectors.user_get(actor=actor, user_id=command.resource_id, for_update=True)
        writes.check_if_match(command.if_match, selectors.user_version(identity))
        _refuse_another_employee_number(identity.employee, command.employee_numbers)
        if command.patch is None:
            return identity  # it only restated employeeNumber
        user = selectors.user_resource(identity, base_url="")
        writes.apply_patch(command.patch, user)
        _write(actor, identity, user)
    return selectors.user_get(actor=actor, user_id=identity.pk)


def user_delete(*, actor: Actor, command: ResourceRef) -> None:
    """The employee is deactivated and keeps its history; SCIM answers 404 for it from then on."""
    with transaction.atomic():
        identity = selectors.user_get(actor=actor, user_id=command.resource_id, for_update=True)
        writes.check_if_match(command.if_match, selectors.user_version(identity))
        before = writes.user_snapshot(identity.employee, identity)
        identity.deleted_at = timezone.now()
        identity.save(update_fields=["deleted_at", "updated_at"])
        deactivation = EmployeeDeactivate.parse({"employee_id": identity.employee.employee_id})
        with audit.suppressed():
            users.employee_deactivate(actor=actor, command=deactivation)
        writes.record_user(actor, before, identity.employee.employee_id, identity)


def _refuse_another_employee_number(employee: Employee, employee_numbers) -> None:
    """employeeNumber is the employee_id, which never changes: restating it is fine (identity providers
    send it with every update), another value is 400 `mutability` (RFC 7644 §3.5.1, as for `immutable`)."""
    for number in employee_numbers:
        if number != employee.employee_id:
            raise ScimError(
                ScimErrorCode.MUTABILITY,
                f"employeeNumber is {employee.employee_id!r} and never changes: {number!r} cannot replace it.",
            )


def _write(actor: Actor, identity: ScimIdentity, user: FullUser) -> None:
    employee = identity.employee
    fields = _employee_fields(actor, user, employee)
    before = writes.user_snapshot(employee, identity)
    with audit.suppressed():
        identity.employee = writes.employee_update(actor, employee.employee_id, fields)
        _save_identity(identity, user, new=False)
    writes.record_user(actor, before, employee.employee_id, identity)


def _changes(fields: dict) -> dict:
    return {name: value for name, value in fields.items() if name != "employee_id"}


def _employee_fields(actor: Actor, user: FullUser, employee: Employee | None) -> dict:
    """The employee a User describes, but for its employee_id (which never changes)."""
    extension = user[EnterpriseUser] or EnterpriseUser()
    email = chosen_email(user.emails)
    return {
        "email": email.value,
        "first_name": user.name.given_name if user.name else None,
        "last_name": user.name.family_name if user.name else None,
        "status": Employee.Status.INACTIVE if user.active is False else Employee.Status.ACTIVE,
        "role": user.title or "",
        "department": extension.department or "",
        "business_unit": extension.division or None,
        "cost_centre": extension.cost_center or None,
        "manager_employee_id": _manager_employee_id(actor, extension.manager, employee),
    }


def chosen_email(emails):
    """Plum keeps one email: the primary entry, else the work one, else the first."""
    emails = emails or []
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if _text(e.type).lower() == "work"), None)
        or next(iter(emails), None)
    )
    if chosen is None or not chosen.value:
        raise invalid_value("emails: the employee's email is required.")
    return chosen


def _manager_employee_id(actor: Actor, manager, employee: Employee | None) -> str | None:
    if manager is None or not manager.value:
        return None
    if employee is not None and employee.manager_id and str(employee.manager_id) == manager.value:
        return employee.manager.employee_id  # unchanged, even if the manager has left SCIM since
    found = selectors.user_employees(actor=actor, user_ids=[manager.value])
    if not found:
        raise invalid_value(f"manager.value: no user {manager.value!r} in this organisation.")
    return next(iter(found.values())).employee_id


def _save_identity(identity: ScimIdentity, user: FullUser, *, new: bool) -> None:
    extension = user[EnterpriseUser] or EnterpriseUser()
    email = chosen_email(user.emails)
    values = {
        "user_name": _checked("userName", user.user_name),
        "external_id": _checked("externalId", user.external_id) or None,
        "email_type": _checked("emails.type", _text(email.type)),
        "email_primary": email.primary,
        "organization": _checked("organization", extension.organization or ""),
        "provisioned": True,
        "deleted_at": None,
    }
    if not new and all(getattr(identity, name) == value for name, value in values.items()):
        return  # nothing SCIM keeps changed: the version stays
    for name, value in values.items():
        setattr(identity, name, value)
    try:
        with transaction.atomic():
            identity.save(force_insert=new)
    except IntegrityError as exc:
        if "scim_user_name_per_org" in str(exc):
            raise ScimError(ScimErrorCode.UNIQUENESS, f"userName {user.user_name!r} is already taken.") from None
        raise


def _checked(attribute: str, value) -> str:
    value = "" if value is None else value
    if attribute == "userName" and not value.strip():
        raise invalid_value("userName: may not be blank.")
    if not storable_text(value) or len(value) > TEXT_LIMITS[attribute]:
        raise invalid_value(f"{attribute}: at most {TEXT_LIMITS[attribute]} characters, without NUL.")
    return value


def _text(value) -> str:
    return "" if value is None else str(getattr(value, "value", value))
