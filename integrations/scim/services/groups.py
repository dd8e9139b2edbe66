"""SCIM Groups onto business units. A group's members are the employees of its unit, so adding a member
moves the employee into the unit (out of any other), removing one leaves the employee without a unit,
and renaming a group moves its members to the unit of the new name (created on first use)."""

from django.db import IntegrityError, transaction

from integrations.scim.commands import GroupWrite, ResourcePatch, ResourceRef
from integrations.scim.errors import ScimError, ScimErrorCode, invalid_value
from integrations.scim.models import ScimGroup
from integrations.scim.resources import Group
from integrations.scim.selectors import groups as selectors
from integrations.scim.selectors.users import user_employees, uuid_or_none
from integrations.scim.services import writes
from integrations.trail import record_changed, record_created
from plum.core import audit
from plum.core.actor import Actor
from plum.core.text import storable_text
from users.models import BusinessUnit

NAME_LIMIT = BusinessUnit._meta.get_field("code").max_length


def groups_adopt(*, actor: Actor) -> None:
    """Every business unit with employees gets a group, named by its code."""
    missing = selectors.business_unit_codes_in_use(actor=actor) - selectors.group_names(actor=actor)
    groups = [ScimGroup(organisation_id=actor.organisation_id, display_name=code) for code in sorted(missing)]
    ScimGroup.objects.bulk_create(groups, ignore_conflicts=True)


def group_create(*, actor: Actor, command: GroupWrite) -> ScimGroup:
    with transaction.atomic():
        group = ScimGroup(organisation_id=actor.organisation_id)
        _write(actor, group, command.group, members=[], new=True)
        record_created(actor, "scim_group.created", group.pk, _snapshot(actor, group))
    return group


def _snapshot(actor: Actor, group: ScimGroup, members: list | None = None) -> dict:
    """What a group's entry tells: its name (the business unit's code), externalId and members by employee_id.
    Members' moves in and out of the unit are told here, once, not as an entry per employee."""
    if members is None:
        members = selectors.members_of(actor=actor, groups=[group])[group.display_name]
    return {
        "display_name": group.display_name,
        "external_id": group.external_id,
        "members": sorted(e.employee_id for e in members),
    }


def _record_change(actor: Actor, group: ScimGroup, before: dict) -> None:
    record_changed(actor, "scim_group.updated", group.pk, before, _snapshot(actor, group))


def group_replace(*, actor: Actor, command: GroupWrite) -> ScimGroup:
    """PUT: the name, externalId and the whole member list (members left out: the unit is emptied)."""
    with transaction.atomic():
        group = selectors.group_get(actor=actor, group_id=command.resource_id, for_update=True)
        members = selectors.members_of(actor=actor, groups=[group])[group.display_name]
        writes.check_if_match(command.if_match, selectors.group_version(group, members))
        before = _snapshot(actor, group, members)
        _write(actor, group, command.group, members=members, new=False)
        _record_change(actor, group, before)
    return group


def group_patch(*, actor: Actor, command: ResourcePatch) -> ScimGroup:
    with transaction.atomic():
        group = selectors.group_get(actor=actor, group_id=command.resource_id, for_update=True)
        members = selectors.members_of(actor=actor, groups=[group])[group.display_name]
        writes.check_if_match(command.if_match, selectors.group_version(group, members))
        resource = selectors.group_resource(group, members, base_url="")
        writes.apply_patch(command.patch, resource)
        before = _snapshot(actor, group, members)
        _write(actor, group, resource, members=members, new=False)
        _record_change(actor, group, before)
    return group


def group_delete(*, actor: Actor, command: ResourceRef) -> None:
    """The group goes and its members leave the business unit (which stays, with its history)."""
    with transaction.atomic():
        group = selectors.group_get(actor=actor, group_id=command.resource_id, for_update=True)
        members = selectors.members_of(actor=actor, groups=[group])[group.display_name]
        writes.check_if_match(command.if_match, selectors.group_version(group, members))
        before = _snapshot(actor, group, members)
        with audit.suppressed():
            for employee_id in sorted(employee.employee_id for employee in members):
                writes.employee_update(actor, employee_id, {"business_unit": None})
        record_changed(actor, "scim_group.deleted", group.pk, before, {})
        group.delete()


def _write(actor: Actor, group: ScimGroup, resource: Group, *, members: list, new: bool) -> None:
    name = _name(resource.display_name)
    wanted = _wanted_members(actor, resource)
    group.display_name, group.external_id = name, _external_id(resource.external_id)
    try:
        with transaction.atomic():
            group.save(force_insert=new)
    except IntegrityError as exc:
        if "scim_group_name_per_org" in str(exc):
            raise ScimError(ScimErrorCode.UNIQUENESS, f"A group is already named {name!r}.") from None
        raise
    moves = {e.employee_id: name for e in wanted.values() if not e.business_unit_id or e.business_unit.code != name}
    moves |= {e.employee_id: None for e in members if e.pk not in wanted}
    with audit.suppressed():  # the group's entry tells the moves
        for employee_id in sorted(moves):  # one order for every write: concurrent moves cannot deadlock
            writes.employee_update(actor, employee_id, {"business_unit": moves[employee_id]})


def _wanted_members(actor: Actor, resource: Group) -> dict:
    """The employees the group's members name, by id; a member that is not a user of the organisation is refused."""
    values = [member.value for member in resource.members or []]
    if any(not value for value in values):
        raise invalid_value("members: each member needs a value (the user's id).")
    found = user_employees(actor=actor, user_ids=values)
    unknown = [value for value in values if uuid_or_none(value) not in found]
    if unknown:
        raise invalid_value(f"members: no user {unknown[0]!r} in this organisation.")
    return found


def _name(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_value("displayName: may not be blank.")
    if value != value.strip() or not storable_text(value) or len(value) > NAME_LIMIT:
        raise invalid_value(
            f"displayName: the business unit's code, 1 to {NAME_LIMIT} characters without surrounding spaces."
        )
    return value


def _external_id(value) -> str | None:
    if value is not None and (not storable_text(value) or len(value) > 255):
        raise invalid_value("externalId: at most 255 characters, without NUL.")
    return value or None
