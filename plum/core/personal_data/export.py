"""Everything Plum holds about a person as one JSON document (GDPR articles 15 and 20). Each app adds the
sections it owns, each as its REST API shows them, so the export never grows a second representation."""

from collections.abc import Callable

from django.utils import timezone

from plum.core.actor import Actor
from plum.core.timefmt import iso

Section = Callable[[Actor, object], object]  # (actor, employee) -> the section's JSON value

_sections: dict[str, Section] = {}

# The document's keys, in order; each must be provided by exactly one app.
SECTIONS = ("wallet", "ledger_lines", "points_requests", "vouchers", "events", "rewards", "notifications")


def export_section(name: str, section: Section) -> None:
    if name not in SECTIONS:
        raise ValueError(f"{name!r} is not a section of the personal data export.")
    _sections[name] = section


def export_document(*, actor: Actor, employee, employee_document: dict) -> dict:
    missing = [name for name in SECTIONS if name not in _sections]
    if missing:
        raise RuntimeError(f"No app provides the export sections {missing}.")
    return {
        "employee": employee_document,
        **{name: _sections[name](actor, employee) for name in SECTIONS},
        "exported_at": iso(timezone.now()),
    }
