"""Work anniversaries: Plum raises `employee.anniversary` events itself, from each active employee's hire_date.

The event_id `anniversary:<employee_id>:<year>` makes it happen once per employee and year, however
often and however concurrently the hourly task runs: a second run finds the event (and skips it), and
two runs racing meet on the event's unique event_id (the loser replays). "Today" is the organisation's
day (its time zone if it has one, else UTC). Someone hired on 29 February celebrates on 28 February in
the years without one.
"""

import calendar
import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from integrations.events.commands import EventCommand
from integrations.events.errors import EventsError
from integrations.events.models import Event
from integrations.events.services.events import event_receive
from plum.core.actor import Actor
from plum.core.timefmt import iso
from users.models import Employee, Organisation

logger = logging.getLogger(__name__)
EVENT_TYPE = "employee.anniversary"


def anniversary_event_id(employee_id: str, year: int) -> str:
    return f"anniversary:{employee_id}:{year}"


def organisation_today(organisation: Organisation, now: datetime) -> tuple[date, ZoneInfo]:
    zone = ZoneInfo(getattr(organisation, "time_zone", "") or "UTC")
    return now.astimezone(zone).date(), zone


def celebrating(today: date) -> Q:
    """Hire dates whose anniversary is `today`, 29 February on 28 February of a common year."""
    days = Q(hire_date__month=today.month, hire_date__day=today.day)
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        days |= Q(hire_date__month=2, hire_date__day=29)
    return days & Q(hire_date__year__lt=today.year)


def anniversaries_raise(*, now: datetime | None = None) -> int:
    """Raise today's anniversaries in every active organisation; answers how many events were new."""
    now = now or timezone.now()
    raised = 0
    for organisation in Organisation.objects.filter(is_active=True).order_by("id"):
        raised += _raise_for(organisation, now)
    return raised


def _raise_for(organisation: Organisation, now: datetime) -> int:
    today, zone = organisation_today(organisation, now)
    prefix = "anniversary:"
    already = Event.objects.filter(
        organisation_id=organisation.id,
        event_id=Concat(Value(prefix), OuterRef("employee_id"), Value(f":{today.year}")),
    )
    employees = (
        Employee.objects.filter(organisation_id=organisation.id, status=Employee.Status.ACTIVE)
        .filter(celebrating(today))
        .exclude(Exists(already))
        .order_by("employee_id")
        .values_list("employee_id", "hire_date")
    )
    actor = Actor.system(organisation.id, label="anniversaries")
    occurred_at = iso(datetime.combine(today, time.min, tzinfo=zone))
    raised = 0
    for employee_id, hire_date in employees:
        command = EventCommand.parse(
            {
                "event_id": anniversary_event_id(employee_id, today.year),
                "type": EVENT_TYPE,
                "employee_id": employee_id,
                "occurred_at": occurred_at,
                "data": {"years": today.year - hire_date.year, "hire_date": hire_date.isoformat()},
            }
        )
        try:
            received = event_receive(actor=actor, command=command, source="plum")
        except EventsError as error:  # the hire date changed since this year's event: it stays as raised
            logger.warning("anniversary of %s not raised again: %s", employee_id, error.message)
            continue
        raised += not received.replayed
    return raised
