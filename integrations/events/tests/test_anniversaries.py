"""Work anniversaries raised by Plum: once per employee and year, however often or concurrently it runs."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from integrations.events import tasks
from integrations.events.models import Event
from integrations.events.services import anniversaries_raise
from integrations.events.tests.factories import make_rule, make_world
from points.models import PointsRequest
from points.tests.factories import balance, seed_employees
from points.tests.ledger_support import run_parallel

DEC_7 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def anniversary_rule(tenant):
    return make_rule(
        tenant,
        "Anniversary",
        event_type="employee.anniversary",
        conditions=[],
        points={"from": "data.years", "multiplier": 100},
    )


def hire(tenant, employee_id: str, hired: str, **fields) -> None:
    seed_employees(tenant, employee_id, hire_date=hired, **fields)


@pytest.mark.django_db
def test_todays_anniversaries_become_events_and_rewards(tenant):
    make_world(tenant, employees=())
    rule = anniversary_rule(tenant)
    hire(tenant, "E1", "2020-12-07")
    hire(tenant, "E2", "2020-12-08")  # tomorrow
    hire(tenant, "E3", "2026-12-07")  # hired today: no anniversary yet
    hire(tenant, "E4", "2019-12-07", status="inactive")
    seed_employees(tenant, "E5")  # no hire date

    assert anniversaries_raise(now=DEC_7) == 1

    event = Event.objects.get()
    assert (event.event_id, event.type, event.source, event.employee.employee_id) == (
        "anniversary:E1:2026",
        "employee.anniversary",
        "plum",
        "E1",
    )
    assert event.data == {"years": 6, "hire_date": "2020-12-07"}
    assert event.occurred_at == datetime(2026, 12, 7, tzinfo=UTC)
    assert PointsRequest.objects.get().request_id == f"evt:anniversary:E1:2026:{rule.id}"
    assert balance(tenant, "E1") == 600


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "raised"),
    [(date(2027, 2, 28), True), (date(2028, 2, 28), False), (date(2028, 2, 29), True), (date(2027, 3, 1), False)],
)
def test_hired_on_29_february(tenant, today, raised):
    make_world(tenant, employees=())
    hire(tenant, "E1", "2024-02-29")

    count = anniversaries_raise(now=datetime.combine(today, datetime.min.time(), tzinfo=UTC))

    assert count == int(raised)
    assert list(Event.objects.values_list("event_id", flat=True)) == (
        [f"anniversary:E1:{today.year}"] if raised else []
    )


@pytest.mark.django_db
def test_running_twice_raises_once(tenant, other_tenant):
    make_world(tenant, employees=())
    anniversary_rule(tenant)
    hire(tenant, "E1", "2020-12-07")
    make_world(other_tenant, employees=())
    hire(other_tenant, "X1", "2010-12-07")

    assert anniversaries_raise(now=DEC_7) == 2
    assert anniversaries_raise(now=DEC_7.replace(hour=23)) == 0

    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["anniversary:E1:2026", "anniversary:X1:2026"]
    assert balance(tenant, "E1") == 600


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_raise_each_anniversary_once(make_tenant):
    tenant = make_tenant()
    make_world(tenant, employees=())
    anniversary_rule(tenant)
    for n in range(20):
        hire(tenant, f"E{n}", f"{2000 + n}-12-07")

    raised = run_parallel([lambda: anniversaries_raise(now=DEC_7) for _ in range(8)], workers=8)

    assert all(isinstance(r, int) for r in raised), raised
    assert sum(raised) == 20
    assert Event.objects.count() == 20
    assert PointsRequest.objects.count() == 20
    assert balance(tenant, "E0") == 2600


@pytest.mark.django_db
def test_the_hourly_task_raises_todays(tenant):
    make_world(tenant, employees=())
    today = timezone.now().astimezone(UTC).date()
    hired = today.replace(year=today.year - 3) if (today.month, today.day) != (2, 29) else date(today.year - 4, 2, 29)
    hire(tenant, "E1", hired.isoformat())

    assert tasks.raise_anniversaries_task.name == "integrations.events.tasks.raise_anniversaries_task"
    assert tasks.raise_anniversaries_task.apply().get() == 1
    assert tasks.raise_anniversaries_task.apply().get() == 0
    assert Event.objects.get().event_id == f"anniversary:E1:{today.year}"
