import pytest
from django.db import transaction

from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from plum.core.outbox import Event, outbox_emit
from tests.conftest import employee_payload
from users import services
from users.commands import EmployeeCreate
from users.models import Employee


def test_events_are_written_with_the_change(tenant):
    actor = Actor.system(tenant.organisation.id)
    employee = services.employee_create(actor=actor, command=EmployeeCreate.parse(employee_payload("E1")))

    event = OutboxEvent.objects.get()
    assert (event.event_type, event.aggregate_type, event.aggregate_id) == ("employee.created", "employee", "E1")
    assert event.organisation_id == tenant.organisation.id
    assert event.payload["email"] == employee.email
    assert event.published_at is None


def test_a_rolled_back_change_leaves_no_event(tenant):
    actor = Actor.system(tenant.organisation.id)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.employee_create(actor=actor, command=EmployeeCreate.parse(employee_payload("E1")))
        raise RuntimeError("the caller's transaction fails after the service returned")

    assert not Employee.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(tenant):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox_emit(organisation_id=tenant.organisation.id, event=Event("x.y", "x", "1", {}))
    assert not OutboxEvent.objects.exists()
