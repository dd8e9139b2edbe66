"""The events app's sections of the personal data export, and what the erasure walk needs to know."""

from django.db.models import Q

from integrations.events import selectors
from integrations.events.models import Event
from plum.core.personal_data import export_section, rows_about_person


def _events(actor, employee) -> list[dict]:
    events = selectors.event_list(actor=actor).filter(employee=employee).order_by("received_at", "id")
    return [selectors.event_document(e) for e in events]


def _rewards(actor, employee) -> list[dict]:
    events = selectors.event_list(actor=actor).filter(employee=employee).order_by("received_at", "id")
    return [{"event_id": e.event_id, **selectors.reward_document(r)} for e in events for r in e.rewards.all()]


def register() -> None:
    export_section("events", _events)
    export_section("rewards", _rewards)
    rows_about_person(Event, lambda person: Q(employee_id=person.employee_pk))
