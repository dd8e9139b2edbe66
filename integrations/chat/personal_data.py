"""The chat app's section of the personal data export."""

from integrations.chat import selectors
from plum.core.personal_data import export_section


def _notifications(actor, employee) -> list[dict]:
    found = selectors.notifications_about_employee(actor=actor, employee_id=employee.employee_id)
    return [selectors.notification_document(n) for n in found.order_by("created_at", "id")]


def register() -> None:
    export_section("notifications", _notifications)
