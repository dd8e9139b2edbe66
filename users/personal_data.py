"""What the erasure walk (plum.core.personal_data) cannot find out alone about the users app's tables and
the framework's."""

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db.models import Q
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from plum.api.models import IdempotencyRecord
from plum.core.personal_data import TOMBSTONE, erased_by, holds_no_personal_data, rows_of_organisation
from users.models import ApiClient, Employee, Organisation


def _admin_history(person, scrubber) -> int:
    """The admin's history names the employee in object_repr; the rows about them lose it."""
    about = Q(content_type=ContentType.objects.get_for_model(Employee), object_id=str(person.employee_pk))
    return LogEntry.objects.filter(about).exclude(object_repr=TOMBSTONE).update(object_repr=TOMBSTONE)


def register() -> None:
    # Staff accounts, sessions, schedules and OAuth tokens hold no employee's data.
    holds_no_personal_data(
        User, Group, Permission, ContentType, Session, Organisation, ApiClient,
        PeriodicTask, CrontabSchedule, IntervalSchedule, SolarSchedule,
        AccessToken, RefreshToken, Grant, IDToken,
    )  # fmt: skip
    # A stored answer belongs to the API client that sent the request.
    rows_of_organisation(
        IdempotencyRecord,
        lambda organisation_id: Q(client_id__in=ApiClient.objects.filter(organisation_id=organisation_id).values("pk")),
    )
    erased_by(LogEntry, _admin_history)
