"""What the erasure walk (plum.core.personal_data) cannot find out alone about the users app's tables and
the framework's."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from plum.api.models import IdempotencyRecord
from plum.core.audit.purge import erase_values
from plum.core.models import AuditEntry
from plum.core.personal_data import (
    TOMBSTONE,
    erased_by,
    holds_no_personal_data,
    postgres_pattern,
    rows_of_organisation,
)
from users.models import ApiClient, Employee, Organisation


def _admin_history(person, scrubber) -> int:
    """The admin's history names the employee in object_repr; the rows about them lose it."""
    about = Q(content_type=ContentType.objects.get_for_model(Employee), object_id=str(person.employee_pk))
    return LogEntry.objects.filter(about).exclude(object_repr=TOMBSTONE).update(object_repr=TOMBSTONE)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _names_employee(value, employee_id: str) -> bool:
    """A `changes` document with an employee_id of the person ({"employee_id": [null, "E9"]}, at any depth)."""
    if isinstance(value, dict):
        named = value.get("employee_id")
        if named == employee_id or (isinstance(named, list) and employee_id in named):
            return True
        return any(_names_employee(v, employee_id) for v in value.values())
    if isinstance(value, list):
        return any(_names_employee(v, employee_id) for v in value)
    return False


def _audit_trail(person, scrubber) -> int:
    """The audit trail is append-only: its values are replaced by plum_audit_erase, which swaps whole string
    values. Each stored string that holds the person becomes its scrubbed self; in entries about the
    employee or naming their employee_id (their points requests, vouchers, events), names alone go too."""
    entries = (
        AuditEntry.objects.filter(organisation_id=person.organisation_id)
        .alias(text=Cast("changes", TextField()))
        .filter(text__iregex=postgres_pattern(person.every_value))
        .values_list("object_type", "object_id", "changes")
    )
    replacements = {}
    for object_type, object_id, changes in entries:
        about = (object_type == "employee" and object_id == person.employee_id) or _names_employee(
            changes, person.employee_id
        )
        for value in _strings(changes):
            if (scrubbed := scrubber.text(value, about_person=about)) != value:
                replacements[value] = scrubbed
    return erase_values(organisation_id=person.organisation_id, replacements=replacements)


def register() -> None:
    # The person's own row is tombstoned by the erasure service; other employees' rows are their own data
    # (a colleague who shares an email address keeps it).
    holds_no_personal_data(Employee)
    # Staff accounts and their sign-in records, sessions, schedules and OAuth tokens hold no employee's data.
    holds_no_personal_data(
        User, Group, Permission, ContentType, Session, Organisation, ApiClient,
        PeriodicTask, CrontabSchedule, IntervalSchedule, SolarSchedule,
        AccessToken, RefreshToken, Grant, IDToken,
        TOTPDevice, StaticDevice, StaticToken, AccessAttempt, AccessFailureLog, AccessLog,
    )  # fmt: skip
    # A stored answer belongs to the API client that sent the request.
    rows_of_organisation(
        IdempotencyRecord,
        lambda organisation_id: Q(client_id__in=ApiClient.objects.filter(organisation_id=organisation_id).values("pk")),
    )
    erased_by(LogEntry, _admin_history)
    erased_by(AuditEntry, _audit_trail)
