"""Organisations, the tenants: created and changed by operations staff and commands."""

from dataclasses import replace

from django.db import transaction

from plum.core import audit
from plum.core.actor import Actor
from users.commands import OrganisationUpdate
from users.models import Organisation


def _record(actor: Actor | None, action: str, organisation: Organisation, changes: dict) -> None:
    """The entry belongs to the organisation itself, whoever acts (staff act on no one organisation here)."""
    acting = Actor.system(organisation.id) if actor is None else replace(actor, organisation_id=organisation.id)
    audit.record(
        actor=acting,
        action=action,
        object_type="organisation",
        object_id=str(organisation.id),
        changes=changes,
    )


def organisation_ensure(*, slug: str, name: str, actor: Actor | None = None) -> tuple[Organisation, bool]:
    """The organisation with this slug, created if there is none."""
    with transaction.atomic():
        organisation, created = Organisation.objects.get_or_create(slug=slug, defaults={"name": name})
        if created:
            changes = audit.created({"slug": organisation.slug, "name": organisation.name, "is_active": True})
            _record(actor, "organisation.created", organisation, changes)
    return organisation, created


def organisation_update(
    *, organisation: Organisation, command: OrganisationUpdate, actor: Actor | None = None
) -> Organisation:
    """A deactivated organisation's clients can no longer authenticate (see plum.api.auth). A change that
    changes nothing writes nothing. Compared with the stored row: the admin's form has already set the object.
    A new time zone re-dates the reports in the same transaction (a trigger of reports/sql rebuilds them)."""
    fields = ("name", "is_active", "time_zone")
    with transaction.atomic():
        stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = {f: getattr(stored, f) for f in fields}
        after = {"name": command.name, "is_active": command.is_active}
        after["time_zone"] = before["time_zone"] if command.time_zone is None else command.time_zone
        changes = audit.changes_between(before, after)
        for field, value in after.items():
            setattr(organisation, field, value)
        if not changes:
            return organisation
        organisation.save(update_fields=list(fields))
        action = "organisation.deactivated" if before["is_active"] and not command.is_active else "organisation.updated"
        _record(actor, action, organisation, changes)
    return organisation
