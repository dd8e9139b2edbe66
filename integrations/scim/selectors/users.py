"""SCIM Users: the organisation's SCIM identities and their representation as User resources."""

import hashlib
import uuid

from django.db.models import QuerySet
from django.db.models.functions import Greatest
from scim2_models import Meta

from integrations.scim.errors import not_found
from integrations.scim.filters import user_condition
from integrations.scim.models import ScimIdentity
from integrations.scim.resources import Email, EnterpriseUser, FullUser, Manager, Name
from plum.core.actor import Actor
from users.models import Employee


def user_list(*, actor: Actor) -> QuerySet[ScimIdentity]:
    """The organisation's SCIM users (never the deleted ones), with what their representation needs."""
    return (
        ScimIdentity.objects.filter(organisation_id=actor.organisation_id, deleted_at__isnull=True)
        .select_related("employee__business_unit", "employee__cost_centre")
        .annotate(last_modified=Greatest("employee__updated_at", "updated_at"))
        .order_by("employee__created_at", "employee__employee_id")  # employee_id: unique in the organisation
    )


def user_page(*, actor: Actor, node, start_index: int, count: int, searching_groups_too=False):
    """(totalResults, the identities of the page): `node` is the checked filter's tree, or None."""
    identities = user_list(actor=actor).filter(user_condition(node, searching_groups_too=searching_groups_too))
    total = identities.count()
    page = list(identities[start_index - 1 : start_index - 1 + count]) if count else []
    return total, page


def user_get(*, actor: Actor, user_id, for_update: bool = False) -> ScimIdentity:
    """Another organisation's user, a deleted one, or an id that is not a UUID is not found."""
    identities = user_list(actor=actor)
    if for_update:
        identities = identities.select_for_update(of=("self",))
    identity = identities.filter(pk=uuid_or_none(user_id)).first()
    if identity is None:
        raise not_found("user", user_id)
    return identity


def employees_without_identity(*, actor: Actor, employee_pk=None) -> list[dict]:
    """Employees SCIM has not seen yet (created by another door), or only the one named."""
    employees = Employee.objects.filter(organisation_id=actor.organisation_id, scim_identity__isnull=True)
    if employee_pk is not None:
        employees = employees.filter(pk=uuid_or_none(employee_pk))
    return list(employees.order_by("created_at", "employee_id").values("pk", "email", "employee_id"))


def user_employees(*, actor: Actor, user_ids) -> dict[uuid.UUID, Employee]:
    """The employees of these SCIM ids that are SCIM users (not deleted), by id; unknown ids are left out."""
    keys = [key for key in (uuid_or_none(i) for i in user_ids) if key is not None]
    employees = Employee.objects.filter(organisation_id=actor.organisation_id, pk__in=keys).exclude(
        scim_identity__deleted_at__isnull=False
    )
    return {employee.pk: employee for employee in employees.select_related("business_unit")}


def user_version(identity: ScimIdentity) -> str:
    """A weak ETag: it changes whenever the employee or its SCIM identity does."""
    return weak_etag(identity.employee.updated_at, identity.updated_at)


def user_resource(identity: ScimIdentity, base_url: str) -> FullUser:
    """The one representation of a SCIM user (`base_url` is …/scim/v2, for locations and references)."""
    employee = identity.employee
    manager = None
    if employee.manager_id:
        manager = Manager(value=str(employee.manager_id), ref=f"{base_url}/Users/{employee.manager_id}")
    return FullUser(
        id=str(employee.pk),
        external_id=identity.external_id,
        user_name=identity.user_name,
        name=Name(given_name=employee.first_name, family_name=employee.last_name),
        title=employee.role or None,
        active=employee.status == Employee.Status.ACTIVE,
        emails=[Email(value=employee.email, type=identity.email_type or None, primary=identity.email_primary)],
        EnterpriseUser=EnterpriseUser(
            employee_number=employee.employee_id,
            cost_center=employee.cost_centre.code if employee.cost_centre_id else None,
            organization=identity.organization or None,
            division=employee.business_unit.code if employee.business_unit_id else None,
            department=employee.department or None,
            manager=manager,
        ),
        meta=Meta(
            resource_type="User",
            created=employee.created_at,
            last_modified=max(employee.updated_at, identity.updated_at),
            location=f"{base_url}/Users/{employee.pk}",
            version=user_version(identity),
        ),
    )


def weak_etag(*parts) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def uuid_or_none(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
