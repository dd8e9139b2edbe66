"""Bulk employee sync from an HR system: set-based, every record validated, every error reported.

One call: clean each record in Python, load the existing rows with one query, classify each record
as created / updated / unchanged / deactivated, then write with a few multi-row statements.
Syncs of one organisation are serialised by an advisory lock so counts and events are exact.
"""

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, DomainError, ValidationFailed, field_error
from plum.core.outbox import Event, outbox_emit_many
from users.errors import UsersErrorCode
from users.models import BusinessUnit, CostCentre, Employee
from users.records import clean_employee_fields, missing_required
from users.selectors import employee_document
from users.services.employees import EMPLOYEE_FIELDS_COMPARED, _dimension_ids, lock_organisation

MAX_SYNC_RECORDS = 10_000
SYNC_MODES = ("upsert", "full")
WRITE_BATCH = 2000
UPDATED_FIELDS = [*EMPLOYEE_FIELDS_COMPARED, "business_unit", "cost_centre", "manager", "source", "updated_at"]


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("created", "updated", "deactivated", "unchanged", "errors")}


def _check_request(mode, source, records, max_records):
    problems = []
    if mode not in SYNC_MODES:
        problems.append(field_error("mode", CoreErrorCode.INVALID, "Must be 'upsert' or 'full'."))
    if not isinstance(source, str) or len(source) > 64:
        problems.append(field_error("source", CoreErrorCode.INVALID, "A string of at most 64 characters."))
    if not isinstance(records, list):
        problems.append(field_error("employees", CoreErrorCode.INVALID, "Must be a list of employee records."))
    if problems:
        raise ValidationFailed(problems)
    if len(records) > max_records:
        raise DomainError(
            UsersErrorCode.TOO_MANY_RECORDS,
            f"A sync takes at most {max_records} records; split the list.",
            field="employees",
        )


def _record_error(index: int, employee_id, error: dict) -> dict:
    return {"index": index, "employee_id": employee_id if isinstance(employee_id, str) else None, **error}


def _clean_records(records) -> tuple[dict[str, tuple[int, dict]], list[dict]]:
    """employee_id -> (index, clean fields) for the valid records; errors for the others."""
    valid: dict[str, tuple[int, dict]] = {}
    errors: list[dict] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append(_record_error(index, None, field_error(None, CoreErrorCode.INVALID, "Must be an object.")))
            continue
        employee_id = record.get("employee_id")
        clean, problems = clean_employee_fields(record)
        if "employee_id" not in clean and not any(p["field"] == "employee_id" for p in problems):
            problems.append(field_error("employee_id", CoreErrorCode.REQUIRED, "This field is required."))
        if not problems and employee_id in valid:
            problems.append(
                field_error(
                    "employee_id",
                    UsersErrorCode.DUPLICATE_EMPLOYEE_ID,
                    f"Also at index {valid[employee_id][0]}; each employee may appear once.",
                )
            )
        if problems:
            errors.extend(_record_error(index, employee_id, p) for p in problems)
            continue
        clean.setdefault("status", Employee.Status.ACTIVE)  # a record in the feed means employed
        valid[employee_id] = (index, clean)
    return valid, errors


def _drop_unresolvable_managers(actor, valid, existing, errors) -> dict[str, uuid.UUID]:
    """Managers may be in the list (even later) or already stored; drop records whose manager is neither."""
    wanted = {c["manager_employee_id"] for _, c in valid.values() if c.get("manager_employee_id")}
    outside = wanted - set(valid) - set(existing)
    stored = (
        dict(
            Employee.objects.filter(organisation_id=actor.organisation_id, employee_id__in=outside).values_list(
                "employee_id", "id"
            )
        )
        if outside
        else {}
    )
    changed = True
    while changed:  # dropping a new record can orphan the records it managed
        changed = False
        for employee_id, (index, clean) in list(valid.items()):
            manager = clean.get("manager_employee_id")
            if manager and manager not in valid and manager not in existing and manager not in stored:
                errors.append(
                    _record_error(
                        index,
                        employee_id,
                        field_error(
                            "manager_employee_id", UsersErrorCode.MANAGER_NOT_FOUND, f"No employee {manager!r}."
                        ),
                    )
                )
                del valid[employee_id]
                changed = True
    return stored


def _current_values(e: Employee) -> dict:
    values = {f: getattr(e, f) for f in EMPLOYEE_FIELDS_COMPARED}
    values["business_unit"] = e.business_unit.code if e.business_unit_id else None
    values["cost_centre"] = e.cost_centre.code if e.cost_centre_id else None
    values["manager_employee_id"] = e.manager.employee_id if e.manager_id else None
    return values


def employees_sync(
    *, actor: Actor, mode: str, source: str = "", records, max_records: int = MAX_SYNC_RECORDS
) -> SyncResult:
    _check_request(mode, source, records, max_records)
    valid, errors = _clean_records(records)
    listed_ids = {r["employee_id"] for r in records if isinstance(r, dict) and isinstance(r.get("employee_id"), str)}
    result = SyncResult()
    org_id = actor.organisation_id
    now = timezone.now()

    with transaction.atomic():
        lock_organisation(org_id, "employees_sync")
        existing = {
            e.employee_id: e
            for e in Employee.objects.filter(organisation_id=org_id, employee_id__in=list(valid)).select_related(
                "business_unit", "cost_centre", "manager"
            )
        }
        for employee_id, (index, clean) in list(valid.items()):
            if employee_id not in existing and (missing := missing_required(clean)):
                errors.extend(_record_error(index, employee_id, m) for m in missing)
                del valid[employee_id]
        stored_managers = _drop_unresolvable_managers(actor, valid, existing, errors)

        units = _dimension_ids(BusinessUnit, org_id, {c.get("business_unit") for _, c in valid.values()})
        centres = _dimension_ids(CostCentre, org_id, {c.get("cost_centre") for _, c in valid.values()})
        new_ids = {eid: uuid.uuid4() for eid in valid if eid not in existing}
        pks = {**stored_managers, **{eid: e.pk for eid, e in existing.items()}, **new_ids}

        to_create, to_update, events = [], [], []
        for employee_id, (_, clean) in valid.items():
            current = existing.get(employee_id)
            if current is not None:
                before = _current_values(current)
                if all(before[k] == v for k, v in clean.items() if k != "employee_id"):
                    result.unchanged += 1
                    continue
            employee = current or Employee(
                id=new_ids[employee_id], organisation_id=org_id, employee_id=employee_id, created_at=now
            )
            for name in EMPLOYEE_FIELDS_COMPARED:
                if name in clean:
                    setattr(employee, name, clean[name])
            if "business_unit" in clean:
                employee.business_unit_id = units.get(clean["business_unit"])
            if "cost_centre" in clean:
                employee.cost_centre_id = centres.get(clean["cost_centre"])
            if "manager_employee_id" in clean:
                employee.manager_id = pks.get(clean["manager_employee_id"])
            employee.source = source
            employee.updated_at = now
            if current is None:
                to_create.append(employee)
                result.created += 1
                events.append(("employee.created", employee_id))
            else:
                to_update.append(employee)
                if before["status"] == Employee.Status.ACTIVE and employee.status == Employee.Status.INACTIVE:
                    result.deactivated += 1
                    events.append(("employee.deactivated", employee_id))
                else:
                    result.updated += 1
                    events.append(("employee.updated", employee_id))

        Employee.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            Employee.objects.bulk_create(
                to_update,
                batch_size=WRITE_BATCH,
                update_conflicts=True,
                unique_fields=["organisation", "employee_id"],
                update_fields=UPDATED_FIELDS,
            )
        if mode == "full":
            absent = list(
                Employee.objects.filter(organisation_id=org_id, status=Employee.Status.ACTIVE)
                .exclude(employee_id__in=listed_ids)
                .values_list("employee_id", flat=True)
            )
            Employee.objects.filter(organisation_id=org_id, employee_id__in=absent).update(
                status=Employee.Status.INACTIVE, updated_at=now
            )
            result.deactivated += len(absent)
            events += [("employee.deactivated", eid) for eid in absent]
        _emit(org_id, events)

    result.errors = sorted(errors, key=lambda e: e["index"])
    return result


def _emit(org_id, events: list[tuple[str, str]]) -> None:
    if not events:
        return
    documents = {
        e.employee_id: employee_document(e)
        for e in Employee.objects.filter(
            organisation_id=org_id, employee_id__in=[eid for _, eid in events]
        ).select_related("business_unit", "cost_centre", "manager")
    }
    outbox_emit_many(
        organisation_id=org_id,
        events=(Event(event_type, "employee", eid, documents[eid]) for event_type, eid in events),
    )
