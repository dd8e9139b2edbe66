"""Erasure of an employee's personal data (GDPR article 17): irreversible, audited, amounts and ids kept."""

import secrets

from django.db import transaction
from django.utils import timezone

from plum.core import audit
from plum.core.actor import Actor
from plum.core.outbox import Event
from plum.core.personal_data import TOMBSTONE, Person, Scrubber, erase_in_every_table
from users.commands import EmployeeErase
from users.models import Employee
from users.selectors import employee_document, employee_get


def employee_erase(*, actor: Actor, command: EmployeeErase) -> Employee:
    """Names, email and chat ids become tombstones on the employee and in every stored copy (reasons,
    metadata, ledger memos, outbox payloads, event data, stored answers); the employee is inactive and
    never written again. A second call finds the employee erased and changes nothing."""
    with transaction.atomic():
        employee = employee_get(actor=actor, employee_id=command.employee_id, for_update=True)
        if employee.erased_at is not None:
            return employee
        person = Person(
            organisation_id=employee.organisation_id,
            employee_pk=employee.pk,
            employee_id=employee.employee_id,
            first_name=employee.first_name,
            last_name=employee.last_name,
            email=employee.email,
            chat_ids=tuple(v for v in (employee.slack_user_id, employee.teams_user_id) if v),
        )
        tombstones = {
            "first_name": TOMBSTONE,
            "last_name": TOMBSTONE,
            "email": f"erased-{secrets.token_hex(8)}@erased.invalid",
            "slack_user_id": "",
            "teams_user_id": "",
        }
        for field, value in tombstones.items():
            setattr(employee, field, value)
        status_before = employee.status
        employee.status = Employee.Status.INACTIVE
        employee.erased_at = timezone.now()
        employee.save()
        erase_in_every_table(person, Scrubber(person, tombstones))
        employee = employee_get(actor=actor, employee_id=employee.employee_id)
        # The entry names what changed, never the values that were erased.
        changes = {"status": [status_before, employee.status], "erased_at": [None, employee.erased_at]}
        audit.record_event(
            actor=actor,
            event=Event("employee.erased", "employee", employee.employee_id, employee_document(employee)),
            changes=audit.json_safe(changes),
        )
    return employee
