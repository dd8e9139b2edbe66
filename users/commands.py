"""Typed input of every users write, parsed once for every door (REST, GraphQL, sync, admin, commands).

An employee's fields are cleaned here: trimmed, blanks made empty or null, the country upper-cased.
Rules that need the database (the employee exists, the manager exists and is someone else) are the
services'.
"""

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

import pycountry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictStr,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
)

from plum.core.commands import (
    Command,
    Text,
    field_names,
    plum_errors,
    printable,
    rule_error,
    text,
    without_unstorable_keys,
)
from plum.core.errors import CoreErrorCode, DomainError, ValidationFailed, field_error
from plum.core.scopes import ALL_SCOPES
from plum.core.text import VISIBLE
from users.errors import UsersErrorCode
from users.models import ApiClient, BusinessUnit, CostCentre, Employee, Organisation, validate_time_zone

EMPLOYEE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,63}$")
EMPLOYEE_ID_RULE = "1 to 64 characters: letters, digits and . _ @ : + - (not first)."
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_SYNC_RECORDS = 10_000
SOURCE_MAX_LENGTH = Employee._meta.get_field("source").max_length
_email_validator = EmailValidator()


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _time_zone(value: str) -> str:
    try:
        validate_time_zone(value)
    except DjangoValidationError:
        raise rule_error(CoreErrorCode.INVALID, "An IANA time zone, e.g. Europe/Paris.") from None
    return value


def _email(value: str) -> str:
    try:
        _email_validator(value)
    except DjangoValidationError:
        raise rule_error(CoreErrorCode.INVALID, "Not a valid email address.") from None
    return value


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD (pydantic would also take a number of seconds or a compact 20240101)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DATE_PATTERN.fullmatch(value):
        raise rule_error(CoreErrorCode.INVALID, "Must be a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise rule_error(CoreErrorCode.INVALID, "Not a calendar date.") from None


def _upper_ascii(value: Any) -> Any:
    # "ﬁ".upper() is "FI": only ASCII is folded, so a ligature is refused rather than read as Finland
    return value.upper().strip() if isinstance(value, str) and value.isascii() else value


COUNTRY_CODES = ["", *sorted(country.alpha_2 for country in pycountry.countries)]
CountryCode = StrEnum("CountryCode", [(code or "NONE", code) for code in COUNTRY_CODES])
CountryCode.__doc__ = "ISO 3166-1 alpha-2 (any case), or empty"

EMPLOYEE_ID_LENGTH = _length(Employee, "employee_id")
EmployeeId = text(EMPLOYEE_ID_LENGTH, strip=True, min_length=1, pattern=EMPLOYEE_ID_PATTERN.pattern)
Email = Annotated[
    text(_length(Employee, "email"), strip=True), AfterValidator(_email), Field(json_schema_extra={"format": "email"})
]
Name = text(_length(Employee, "first_name"), strip=True, pattern=VISIBLE)
EmployeeStatus = StrEnum("EmployeeStatus", {status: status for status in Employee.Status.values})
Status = Annotated[EmployeeStatus, AfterValidator(lambda status: status.value)]
Country = Annotated[CountryCode | None, BeforeValidator(_upper_ascii), AfterValidator(lambda c: c.value if c else "")]
IsoDate = Annotated[date | None, BeforeValidator(_iso_date)]


def _blank_text(limit: int):
    """Text that may be left blank: null is stored as empty."""
    return Annotated[text(limit, strip=True) | None, AfterValidator(lambda value: value or "")]


def _code(limit: int, description: str):
    """A business unit or cost centre code: blank or null is none; created on first use."""
    return Annotated[
        text(limit, strip=True) | None, AfterValidator(lambda value: value or None), Field(description=description)
    ]


NAME_LIMIT = _length(Employee, "first_name")


class EmployeeChanges(Command):
    """Omitted fields keep their values. employee_id cannot change (sending the same one is allowed)."""

    email: Email = None  # left out: unchanged; null: refused
    first_name: Name = None
    last_name: Name = None
    status: Status = None
    role: _blank_text(_length(Employee, "role")) = None
    department: _blank_text(_length(Employee, "department")) = None
    business_unit: _code(_length(BusinessUnit, "code"), "Business unit code; created on first use") = None
    cost_centre: _code(_length(CostCentre, "code"), "Cost centre code; created on first use") = None
    country: Country = Field(None, description="ISO 3166-1 alpha-2 (any case), or empty")
    manager_employee_id: Annotated[
        text(EMPLOYEE_ID_LENGTH, strip=True, pattern=f"^$|{EMPLOYEE_ID_PATTERN.pattern}") | None,
        AfterValidator(lambda value: value or None),
        Field(description="An existing employee other than this one; empty or null for none"),
    ] = None
    hire_date: IsoDate = None
    exit_date: Annotated[IsoDate, Field(description="Not before hire_date")] = None
    slack_user_id: _blank_text(_length(Employee, "slack_user_id")) = None
    teams_user_id: _blank_text(_length(Employee, "teams_user_id")) = None

    error_messages = {
        "employee_id": EMPLOYEE_ID_RULE,
        "manager_employee_id": EMPLOYEE_ID_RULE,
        ("first_name", "string_pattern_mismatch"): f"1 to {NAME_LIMIT} characters.",
        ("first_name", "string_too_long"): f"1 to {NAME_LIMIT} characters.",
        ("last_name", "string_pattern_mismatch"): f"1 to {NAME_LIMIT} characters.",
        ("last_name", "string_too_long"): f"1 to {NAME_LIMIT} characters.",
        ("country", "enum"): "Must be an ISO 3166-1 alpha-2 country code.",
    }

    @field_validator("exit_date")
    @classmethod
    def _not_before_hire_date(cls, exit_date, info: ValidationInfo):
        if error := dates_error(info.data.get("hire_date"), exit_date):
            raise rule_error(error["code"], error["message"])
        return exit_date

    def changes(self) -> dict:
        """The employee's fields the caller sent, cleaned (no employee_id)."""
        return {name: value for name, value in self.given().items() if name != "employee_id"}


class _NewEmployee(Command):
    employee_id: Annotated[
        EmployeeId, Field(description="Letters, digits and . _ @ : + - (not first); unique in your organisation")
    ]


class EmployeeCreate(EmployeeChanges, _NewEmployee):  # bases in this order: employee_id comes first
    """A new employee: employee_id, email and both names are needed."""

    email: Email
    first_name: Name
    last_name: Name


class _EmployeeKey(Command):
    employee_id: StrictStr  # a lookup key, as given: unknown is 404


class EmployeeUpdate(EmployeeChanges, _EmployeeKey):
    """The employee to change, by employee_id, and the changes."""

    @classmethod
    def of(cls, employee_id: str, data: Any) -> "EmployeeUpdate":
        """The changes a body asks of the employee its path names (the body may repeat the same id)."""
        if not isinstance(data, dict):
            raise ValidationFailed([field_error(None, CoreErrorCode.INVALID, "The employee must be an object.")])
        command = cls.parse({**data, "employee_id": data.get("employee_id", employee_id)})
        if command.employee_id.strip() != employee_id.strip():
            raise ValidationFailed(
                [field_error("employee_id", CoreErrorCode.INVALID, "The employee_id cannot be changed.")]
            )
        return command.model_copy(update={"employee_id": employee_id})


class EmployeeDeactivate(Command):
    employee_id: StrictStr  # a lookup key: unknown is 404


class EmployeeErase(Command):
    employee_id: StrictStr  # a lookup key: unknown is 404


class EmployeeRecord(EmployeeChanges, _NewEmployee):
    """One employee of a sync: a new one needs employee_id, email, first_name and last_name."""


class RejectedRecord:
    """A sync record that does not parse: reported in the sync's `errors`, the others still apply.

    Its employee_id, when that field itself is valid, still names the employee: a later record with the
    same id is a repeat, and a `full` sync does not deactivate that employee."""

    def __init__(self, record: dict, errors: list[dict]):
        key = record.get("employee_id")
        key = key.strip() if isinstance(key, str) else None
        valid = key is not None and not any(e["field"] == "employee_id" for e in errors)
        self.employee_id = key if valid else None
        self.shown_id = key if valid else printable_id(record.get("employee_id"))
        manager = record.get("manager_employee_id")
        self.manages_itself = valid and isinstance(manager, str) and manager.strip() == key
        self.errors = errors


def printable_id(value) -> str | None:
    return printable(value) if isinstance(value, str) else None


def _record_or_rejected(value: Any, handler, info: ValidationInfo):
    if not isinstance(value, dict):
        return handler(value)  # not an object: the whole sync is refused
    kept, unknown = without_unstorable_keys(value, field_names(EmployeeRecord))
    try:
        record = handler(kept)
    except ValidationError as exc:
        return RejectedRecord(value, unknown + plum_errors(exc, EmployeeRecord.error_messages, kept))
    return RejectedRecord(value, unknown) if unknown else record


class EmployeesSync(Command):
    mode: Annotated[Literal["upsert", "full"], Field(description="`full` also deactivates everyone not listed")]
    source: Annotated[text(SOURCE_MAX_LENGTH) | None, AfterValidator(lambda source: source or "")] = ""
    employees: Annotated[
        list[Annotated[EmployeeRecord, WrapValidator(_record_or_rejected)]],
        Field(
            json_schema_extra={"maxItems": MAX_SYNC_RECORDS},
            description=f"At most {MAX_SYNC_RECORDS} (more: 413); a bad record is reported in `errors`, not refused",
        ),
    ]

    error_messages = {
        "mode": "Must be 'upsert' or 'full'.",
        ("mode", "missing"): (CoreErrorCode.INVALID, "Must be 'upsert' or 'full'."),
        "source": f"A string of at most {SOURCE_MAX_LENGTH} characters.",
        ("employees", "list_type"): "Must be a list of employee records.",
        ("employees", "model_type"): "Each employee record must be an object.",
        ("employees", "missing"): (CoreErrorCode.REQUIRED, "A list of employee records is required."),
    }

    @field_validator("employees", mode="before")
    @classmethod
    def _at_most_max_records(cls, employees, info: ValidationInfo):
        limit = (info.context or {}).get("max_records", MAX_SYNC_RECORDS)
        if isinstance(employees, list) and len(employees) > limit:
            raise rule_error(UsersErrorCode.TOO_MANY_RECORDS, f"A sync takes at most {limit} records; split the list.")
        return employees

    @classmethod
    def parse(cls, data: Any, **context) -> "EmployeesSync":
        """A list too long is 413 too_many_records when nothing else is wrong (it is not read further)."""
        try:
            return super().parse(data, **context)
        except ValidationFailed as exc:
            too_many = [e for e in exc.errors if e["code"] == UsersErrorCode.TOO_MANY_RECORDS]
            if too_many and len(exc.errors) == 1:
                raise DomainError(UsersErrorCode.TOO_MANY_RECORDS, too_many[0]["message"], field="employees") from None
            if too_many:
                raise ValidationFailed([e for e in exc.errors if e not in too_many]) from None
            raise

    def records(self):
        """(index, record) of each employee listed, a RejectedRecord for one that did not parse."""
        return enumerate(self.employees)


def dates_error(hire_date, exit_date) -> dict | None:
    """Also checked by the services with stored values merged in, so a partial update cannot break it."""
    if hire_date and exit_date and exit_date < hire_date:
        return field_error("exit_date", CoreErrorCode.INVALID, "May not be before hire_date.")
    return None


# --- Organisations and API clients (operations staff, commands) -----------------------------------

ClientName = text(_length(ApiClient, "name"), strip=True, pattern=VISIBLE)


def _known_scopes(scopes: list[str]) -> list[str]:
    if not scopes:
        raise rule_error(UsersErrorCode.INVALID_SCOPE, "A client needs at least one scope.")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise rule_error(UsersErrorCode.INVALID_SCOPE, f"Unknown scopes: {', '.join(unknown)}.")
    return sorted(set(scopes))


Scopes = Annotated[list[Text], AfterValidator(_known_scopes)]
CLIENT_NAME_RULE = f"1 to {_length(ApiClient, 'name')} characters."


class OrganisationUpdate(Command):
    """A deactivated organisation's clients can no longer authenticate."""

    name: text(_length(Organisation, "name"), strip=True, pattern=VISIBLE)
    is_active: bool
    time_zone: Annotated[StrictStr, AfterValidator(_time_zone)] | None = None  # None: unchanged

    error_messages = {
        "name": f"1 to {_length(Organisation, 'name')} characters.",
        "time_zone": "An IANA time zone, e.g. Europe/Paris.",
    }


class ApiClientCreate(Command):
    name: ClientName
    allowed_scopes: Scopes

    error_messages = {"name": CLIENT_NAME_RULE}


class ApiClientUpdate(ApiClientCreate):
    """Scopes taken away stop working at once, in tokens already issued too."""

    is_active: bool


LONG_TOKEN_MAX_DAYS = 730


class ApiClientTokenIssue(Command):
    """A long-lived token for a system that cannot fetch tokens itself (an identity provider's SCIM
    connector keeps one fixed bearer token). Only scopes the client is allowed; revoked with the client."""

    scopes: Scopes
    days: Annotated[int, Field(ge=1, le=LONG_TOKEN_MAX_DAYS)] = 365

    error_messages = {"days": f"A whole number of days from 1 to {LONG_TOKEN_MAX_DAYS}."}
