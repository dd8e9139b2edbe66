"""Bulk employee sync from an HR system: set-based, every record validated, every error reported.

One call: the command has parsed each record (users.commands); lock and load the stored rows the list
names with one query, classify each record as created / updated / unchanged / deactivated, then write
every change with one INSERT … ON CONFLICT fed by a single JSON parameter (Django's bulk_create quotes
10,000 rows of parameters in Python, which takes seconds). Syncs of one organisation are serialised by an advisory
lock and the stored rows are locked, so counts and events are exact.
"""

import json
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, field_error
from plum.core.outbox import Event, outbox_emit_many
from users.commands import EmployeeCreate, EmployeesSync, RejectedRecord, dates_error
from users.errors import UsersErrorCode
from users.models import EMPLOYEE_PLAIN_FIELDS, BusinessUnit, CostCentre, Employee
from users.selectors import employee_document_from_values
from users.services.employees import dimension_ids, lock_organisation

# What a new employee needs in its record
REQUIRED_ON_CREATE = tuple(name for name, info in EmployeeCreate.model_fields.items() if info.is_required())

# What a new employee holds in the fields its record leaves out.
NEW_EMPLOYEE_DEFAULTS = {
    "status": Employee.Status.ACTIVE,
    "role": "",
    "department": "",
    "country": "",
    "business_unit": None,
    "cost_centre": None,
    "manager_employee_id": None,
    "manager_id": None,
    "hire_date": None,
    "exit_date": None,
    "slack_user_id": "",
    "teams_user_id": "",
}


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("created", "updated", "deactivated", "unchanged", "errors")}


@dataclass
class _Record:
    index: int
    employee_id: str
    clean: dict


def employees_sync(*, actor: Actor, command: EmployeesSync) -> SyncResult:
    mode, source = command.mode, command.source
    valid, listed_ids, errors = _valid_records(command)
    org_id = actor.organisation_id
    now = timezone.now()

    with transaction.atomic():
        lock_organisation(org_id, "employees_sync")
        stored = _locked_rows(Employee.objects.filter(organisation_id=org_id, employee_id__in=list(valid)))
        _check_against_stored(valid, stored, errors)
        pks = _resolve_managers(org_id, valid, stored, errors)
        planned, unchanged = _plan(valid, stored, pks, now)
        events = _write(org_id, source, now, planned)
        if mode == "full":
            events += [("employee.deactivated", row) for row in _deactivate_absent(org_id, listed_ids, now)]
        outbox_emit_many(
            organisation_id=org_id,
            events=(
                Event(event_type, "employee", row["employee_id"], employee_document_from_values(row))
                for event_type, row in events
            ),
        )
        counts = Counter(event_type for event_type, _ in events)
        result = SyncResult(
            created=counts["employee.created"],
            updated=counts["employee.updated"],
            deactivated=counts["employee.deactivated"],
            unchanged=unchanged,
            errors=sorted(errors, key=lambda e: e["index"]),
        )
        if events:  # one entry per sync with its counts; a sync that changed nothing leaves none
            _record(actor, command, result)
    return result


def _record(actor: Actor, command: EmployeesSync, result: SyncResult) -> None:
    figures = {k: getattr(result, k) for k in ("created", "updated", "deactivated", "unchanged")}
    changes = audit.counts({"mode": command.mode, **figures, "errors": len(result.errors)})
    audit.record(
        actor=actor,
        action="employee_sync.completed",
        object_type="employee_sync",
        object_id=command.source or "-",
        changes=changes,
    )


# --- The records ---------------------------------------------------------------------------------


def _record_error(index: int, employee_id, error: dict) -> dict:
    return {"index": index, "employee_id": employee_id, **error}


def _valid_records(command: EmployeesSync) -> tuple[dict[str, _Record], set[str], list[dict]]:
    """The valid records by employee_id, every employee_id the list names, and the record errors.

    An employee_id named twice: the first record counts, the later ones are errors.
    """
    valid: dict[str, _Record] = {}
    first_index: dict[str, int] = {}
    errors: list[dict] = []
    for index, record in command.records():
        if isinstance(record, RejectedRecord):
            employee_id, clean, problems = record.employee_id, None, list(record.errors)
            manages_itself = record.manages_itself
        else:
            employee_id, clean, problems = record.employee_id, record.given(), []
            manages_itself = clean.get("manager_employee_id") == employee_id
        if manages_itself:
            problems.append(
                field_error(
                    "manager_employee_id", UsersErrorCode.MANAGER_IS_SELF, "An employee cannot manage themselves."
                )
            )
        if employee_id in first_index:
            problems.append(
                field_error(
                    "employee_id",
                    UsersErrorCode.DUPLICATE_EMPLOYEE_ID,
                    f"Also at index {first_index[employee_id]}; each employee may appear once.",
                )
            )
        elif employee_id is not None:
            first_index[employee_id] = index
        if problems:
            shown = record.shown_id if clean is None else employee_id
            errors.extend(_record_error(index, shown, p) for p in problems)
            continue
        clean.setdefault("status", Employee.Status.ACTIVE)  # a record in the feed means employed
        valid[employee_id] = _Record(index, employee_id, clean)
    return valid, set(first_index), errors


# --- Checks that need the stored rows -----------------------------------------------------------


def _locked_rows(employees) -> dict[str, dict]:
    """employee_id -> the stored row in record terms (codes, manager's employee_id), locked."""
    rows = employees.select_for_update(of=("self",)).values(
        "id",
        "employee_id",
        "created_at",
        "updated_at",
        "manager_id",
        "erased_at",
        *EMPLOYEE_PLAIN_FIELDS,
        unit_code=F("business_unit__code"),
        centre_code=F("cost_centre__code"),
        manager_key=F("manager__employee_id"),
    )
    return {
        row["employee_id"]: {
            **row,
            "business_unit": row.pop("unit_code"),
            "cost_centre": row.pop("centre_code"),
            "manager_employee_id": row.pop("manager_key"),
        }
        for row in rows
    }


def _check_against_stored(valid: dict[str, _Record], stored: dict[str, dict], errors: list[dict]) -> None:
    """New employees need every required field; dates are checked with the stored ones merged in."""
    for employee_id, record in list(valid.items()):
        current = stored.get(employee_id)
        if current is not None and current["erased_at"] is not None:
            problems = [field_error("employee_id", UsersErrorCode.EMPLOYEE_ERASED, "This employee was erased.")]
        elif current is None:
            problems = [
                field_error(name, CoreErrorCode.REQUIRED, "This field is required.")
                for name in REQUIRED_ON_CREATE
                if name not in record.clean
            ]
        else:
            hire = record.clean.get("hire_date", current["hire_date"])
            exit_ = record.clean.get("exit_date", current["exit_date"])
            problems = [e] if (e := dates_error(hire, exit_)) else []
        if problems:
            errors.extend(_record_error(record.index, employee_id, p) for p in problems)
            del valid[employee_id]


def _resolve_managers(org_id, valid: dict[str, _Record], stored: dict[str, dict], errors: list[dict]) -> dict:
    """employee_id -> primary key of every employee a written row may point at.

    A manager may come later in the list or be stored already. A record whose manager is neither is
    dropped, and so are the new records it was to manage, and theirs, and so on.
    """
    wanted = {r.clean.get("manager_employee_id") for r in valid.values()} - {None} - set(valid)
    outside = (
        dict(Employee.objects.filter(organisation_id=org_id, employee_id__in=wanted).values_list("employee_id", "id"))
        if wanted
        else {}
    )
    reports: dict[str, list[str]] = defaultdict(list)
    orphans: list[str] = []
    for record in valid.values():
        manager = record.clean.get("manager_employee_id")
        if manager in valid:
            reports[manager].append(record.employee_id)
        elif manager is not None and manager not in outside:
            orphans.append(record.employee_id)
    while orphans:
        record = valid.pop(orphans.pop())
        manager = record.clean["manager_employee_id"]
        message = f"No employee {manager!r} in this list (valid) or stored."
        errors.append(
            _record_error(
                record.index,
                record.employee_id,
                field_error("manager_employee_id", UsersErrorCode.MANAGER_NOT_FOUND, message),
            )
        )
        if record.employee_id not in stored:  # a stored employee can still be a manager
            orphans.extend(reports[record.employee_id])
    new_ids = {employee_id: uuid.uuid4() for employee_id in valid if employee_id not in stored}
    return {**outside, **{k: row["id"] for k, row in stored.items()}, **new_ids}


def _plan(valid: dict[str, _Record], stored: dict[str, dict], pks: dict, now) -> tuple[list[tuple[str, dict]], int]:
    """(event type, the row as it will be) for every record that changes something; and how many do not."""
    planned, unchanged = [], 0
    for record in valid.values():
        current = stored.get(record.employee_id)
        if current is not None and all(current[k] == v for k, v in record.clean.items()):
            unchanged += 1
            continue
        row = {**(current or NEW_EMPLOYEE_DEFAULTS), **record.clean, "updated_at": now}
        if "manager_employee_id" in record.clean:  # otherwise the stored manager_id stays
            row["manager_id"] = pks.get(record.clean["manager_employee_id"])
        if current is None:
            row.update(id=pks[record.employee_id], created_at=now)
            planned.append(("employee.created", row))
        elif current["status"] == Employee.Status.ACTIVE and row["status"] == Employee.Status.INACTIVE:
            planned.append(("employee.deactivated", row))
        else:
            planned.append(("employee.updated", row))
    return planned, unchanged


# --- Writes -----------------------------------------------------------------------------------

_COLUMNS = ("id", "employee_id", *EMPLOYEE_PLAIN_FIELDS, "business_unit", "cost_centre", "manager")
_UPDATED_ON_CONFLICT = [c for c in _COLUMNS if c not in ("id", "employee_id")]


def _upsert_sql() -> str:
    fields = [Employee._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    typed = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    updates = ", ".join(
        f"{quote(f.column)} = EXCLUDED.{quote(f.column)}"
        for f in (Employee._meta.get_field(name) for name in (*_UPDATED_ON_CONFLICT, "source", "updated_at"))
    )
    # xmax = 0 only on a row this statement inserted: a row created meanwhile by another door is an update.
    return f"""
        INSERT INTO {quote(Employee._meta.db_table)} ({columns}, organisation_id, source, created_at, updated_at)
        SELECT {columns}, %(organisation_id)s, %(source)s, %(now)s, %(now)s
        FROM jsonb_to_recordset(%(rows)s::jsonb) AS r({typed})
        ON CONFLICT (organisation_id, employee_id) DO UPDATE SET {updates}
        RETURNING employee_id, id, created_at, xmax = 0
    """  # noqa: S608 (table and column names from the model; values are parameters)


def _write(org_id, source: str, now, planned: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Insert or update the planned rows in one statement; answers the events with the rows as written."""
    if not planned:
        return []
    rows = [row for _, row in planned]
    units = dimension_ids(BusinessUnit, org_id, {row["business_unit"] for row in rows})
    centres = dimension_ids(CostCentre, org_id, {row["cost_centre"] for row in rows})
    payload = [
        {
            **{name: row[name] for name in ("id", "employee_id", *EMPLOYEE_PLAIN_FIELDS)},
            "business_unit_id": units.get(row["business_unit"]),
            "cost_centre_id": centres.get(row["cost_centre"]),
            "manager_id": row["manager_id"],
        }
        for row in rows
    ]
    params = {"organisation_id": org_id, "source": source, "now": now, "rows": json.dumps(payload, default=str)}
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), params)
        written = {employee_id: (pk, created_at, inserted) for employee_id, pk, created_at, inserted in cursor}
    events = []
    for event_type, row in planned:
        pk, created_at, inserted = written[row["employee_id"]]
        if event_type == "employee.created" and not inserted:
            # Another door created it after we looked: this was an update, of a row with its own id.
            event_type = "employee.updated"
            Employee.objects.filter(organisation_id=org_id, manager_id=row["id"]).update(manager_id=pk)
        events.append((event_type, {**row, "created_at": created_at}))
    return events


def _deactivate_absent(org_id, listed_ids: set[str], now) -> list[dict]:
    """Mode full: every active employee the list does not name becomes inactive."""
    absent = _locked_rows(
        Employee.objects.filter(organisation_id=org_id, status=Employee.Status.ACTIVE).exclude(
            employee_id__in=listed_ids
        )
    )
    if not absent:
        return []
    Employee.objects.filter(id__in=[row["id"] for row in absent.values()]).update(
        status=Employee.Status.INACTIVE, updated_at=now
    )
    return [{**row, "status": Employee.Status.INACTIVE, "updated_at": now} for row in absent.values()]
