"""SCIM Groups: business units as Group resources, their members the employees of the unit."""

from collections import defaultdict

from django.db.models import QuerySet
from scim2_models import Meta

from integrations.scim.errors import not_found
from integrations.scim.filters import group_condition
from integrations.scim.models import ScimGroup
from integrations.scim.resources import Group, GroupMember
from integrations.scim.selectors.users import uuid_or_none, weak_etag
from plum.core.actor import Actor
from users.models import Employee


def group_list(*, actor: Actor) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.filter(organisation_id=actor.organisation_id).order_by("created_at", "pk")


def group_page(*, actor: Actor, node, start_index: int, count: int, searching_users_too=False):
    """(totalResults, the groups of the page): `node` is the checked filter's tree, or None."""
    groups = group_list(actor=actor).filter(group_condition(node, searching_users_too=searching_users_too))
    total = groups.count()
    page = list(groups[start_index - 1 : start_index - 1 + count]) if count else []
    return total, page


def group_get(*, actor: Actor, group_id, for_update: bool = False) -> ScimGroup:
    groups = group_list(actor=actor)
    if for_update:
        groups = groups.select_for_update()
    group = groups.filter(pk=uuid_or_none(group_id)).first()
    if group is None:
        raise not_found("group", group_id)
    return group


def members_of(*, actor: Actor, groups: list[ScimGroup]) -> dict[str, list[Employee]]:
    """The employees of each group's business unit (SCIM users, not deleted), by business unit code, oldest
    first. One query for a whole page of groups."""
    members = defaultdict(list)
    employees = (
        Employee.objects.filter(
            organisation_id=actor.organisation_id, business_unit__code__in=[g.display_name for g in groups]
        )
        .exclude(scim_identity__deleted_at__isnull=False)
        .select_related("business_unit")
        .order_by("created_at", "pk")
    )
    for employee in employees:
        members[employee.business_unit.code].append(employee)
    return members


def business_unit_codes_in_use(*, actor: Actor) -> set[str]:
    """Codes of the business units that have employees known to SCIM (a group is adopted for each)."""
    employees = Employee.objects.filter(organisation_id=actor.organisation_id, business_unit__isnull=False)
    employees = employees.exclude(scim_identity__deleted_at__isnull=False)
    return set(employees.values_list("business_unit__code", flat=True).distinct())


def group_names(*, actor: Actor) -> set[str]:
    return set(group_list(actor=actor).values_list("display_name", flat=True))


def group_version(group: ScimGroup, members: list[Employee]) -> str:
    """A weak ETag: it changes with the group and whenever an employee joins or leaves its unit."""
    latest = max((member.updated_at for member in members), default=None)
    return weak_etag(group.updated_at, len(members), latest)


def group_resource(group: ScimGroup, members: list[Employee], base_url: str) -> Group:
    """The one representation of a SCIM group (`base_url` is …/scim/v2, for locations and references)."""
    return Group(
        id=str(group.pk),
        external_id=group.external_id,
        display_name=group.display_name,
        members=[GroupMember(value=str(m.pk), ref=f"{base_url}/Users/{m.pk}", type="User") for m in members] or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base_url}/Groups/{group.pk}",
            version=group_version(group, members),
        ),
    )
