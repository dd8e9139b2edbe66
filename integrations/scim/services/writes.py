"""The steps every SCIM write shares: If-Match, applying a PATCH, and employee writes through the users
services (with their refusals told in SCIM's words)."""

from pydantic import ValidationError
from scim2_models import PatchOp, SCIMException

from integrations.scim.errors import ScimError, ScimErrorCode, invalid_value, refused
from integrations.scim.resources import ENTERPRISE_SCHEMA, POLICY
from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import DomainError, ValidationFailed
from users import services as users
from users.commands import EmployeeCreate, EmployeeUpdate
from users.errors import EmployeeExists, UsersErrorCode
from users.models import Employee
from users.selectors import employee_document, employee_get

# The SCIM attribute each employee field comes from, to name it in an error.
SCIM_NAMES = {
    "employee_id": f"{ENTERPRISE_SCHEMA}:employeeNumber",
    "email": "emails.value",
    "first_name": "name.givenName",
    "last_name": "name.familyName",
    "status": "active",
    "role": "title",
    "department": f"{ENTERPRISE_SCHEMA}:department",
    "business_unit": f"{ENTERPRISE_SCHEMA}:division",
    "cost_centre": f"{ENTERPRISE_SCHEMA}:costCenter",
    "manager_employee_id": f"{ENTERPRISE_SCHEMA}:manager.value",
}


def check_if_match(if_match: str | None, version: str) -> None:
    """RFC 7644 §3.14: a write that names a version applies only to that version (weak comparison)."""
    if if_match is None:
        return
    given = [tag.strip() for tag in if_match.split(",")]
    if "*" in given or _opaque(version) in {_opaque(tag) for tag in given}:
        return
    raise ScimError(ScimErrorCode.PRECONDITION_FAILED, f"The resource is at version {version}, not {if_match}.")


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/").strip()


def apply_patch(patch: PatchOp, resource) -> None:
    """The operations, applied in order to the resource's current representation, or none of them."""
    try:
        with POLICY:
            patch.patch(resource)
    except (SCIMException, ValidationError) as exc:
        raise refused(exc) from None


def creation(fields: dict) -> EmployeeCreate:
    """The employee a creation describes, checked before anything is looked up or written."""
    return _users_call(lambda: EmployeeCreate.parse(fields))


def employee_create(actor: Actor, command: EmployeeCreate) -> Employee:
    return _users_call(lambda: users.employee_create(actor=actor, command=command))


def employee_update(actor: Actor, employee_id: str, changes: dict) -> Employee:
    """Writes (and announces) nothing when nothing changes."""
    return _users_call(
        lambda: users.employee_update(
            actor=actor, command=EmployeeUpdate.parse({**changes, "employee_id": employee_id})
        )
    )


def _users_call(call):
    try:
        return call()
    except ValidationFailed as exc:
        errors = "; ".join(f"{SCIM_NAMES.get(e['field'], e['field'])}: {e['message']}" for e in exc.errors)
        raise invalid_value(errors or exc.message) from None
    except EmployeeExists as exc:
        raise ScimError(ScimErrorCode.UNIQUENESS, exc.message) from None
    except DomainError as exc:
        if exc.code in (UsersErrorCode.MANAGER_NOT_FOUND, UsersErrorCode.MANAGER_IS_SELF):
            raise invalid_value(f"{SCIM_NAMES['manager_employee_id']}: {exc.message}") from None
        raise


# The identity's own fields, told in a user's entry beside the employee's (prefixed: they are SCIM's, not the
# employee's). A SCIM call writes employees through the users services with their entries suppressed, and
# records the one entry of the call itself: about the employee, as the users services would name it.
IDENTITY_AUDITED = ("user_name", "external_id", "email_type", "email_primary", "organization", "deleted_at")


def user_snapshot(employee: Employee | None, identity) -> dict:
    """The employee as its document shows it (without the timestamps every write moves) and its identity."""
    values = {}
    if employee is not None:
        document = employee_document(employee)
        values = {k: v for k, v in document.items() if k not in ("created_at", "updated_at")}
    if identity is not None and identity.provisioned:
        values |= {f"scim_{name}": getattr(identity, name) for name in IDENTITY_AUDITED}
    return values


def record_user(actor: Actor, before: dict, employee_id: str, identity) -> None:
    """The call's one entry: employee.created, employee.deactivated or employee.updated, with what changed;
    none when nothing did."""
    after = user_snapshot(employee_get(actor=actor, employee_id=employee_id), identity)
    if not before.get("employee_id"):
        action, changes = "employee.created", audit.created(after)
    else:
        deactivated = before.get("status") == Employee.Status.ACTIVE and after["status"] == Employee.Status.INACTIVE
        action = "employee.deactivated" if deactivated else "employee.updated"
        changes = audit.changes_between(before, after)
    if changes:
        audit.record(actor=actor, action=action, object_type="employee", object_id=employee_id, changes=changes)
