"""Organisations, the tenants: created and changed by operations staff and commands."""

from users.commands import OrganisationUpdate
from users.models import Organisation


def organisation_ensure(*, slug: str, name: str) -> tuple[Organisation, bool]:
    return Organisation.objects.get_or_create(slug=slug, defaults={"name": name})


def organisation_update(*, organisation: Organisation, command: OrganisationUpdate) -> Organisation:
    """A deactivated organisation's clients can no longer authenticate (see plum.api.auth)."""
    organisation.name = command.name
    organisation.is_active = command.is_active
    # A new zone re-dates the reports in the same transaction: a trigger of reports/sql rebuilds them.
    if command.time_zone is not None:
        organisation.time_zone = command.time_zone
    organisation.save(update_fields=["name", "is_active", "time_zone"])
    return organisation
