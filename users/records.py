"""Cleaning of employee fields from any door (REST, GraphQL, sync, SCIM): one set of rules.

Plain Python on purpose: the sync endpoint cleans 10,000 records per call. Rules that need the
database (the manager exists, is not the employee itself) live in the services.
"""

import re
from datetime import date

import pycountry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator

from plum.core.errors import CoreErrorCode, field_error
from plum.core.text import storable_text
from users.models import Employee

EMPLOYEE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,63}$")
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
REQUIRED_ON_CREATE = ("employee_id", "email", "first_name", "last_name")
EMAIL_MAX_LENGTH = Employee._meta.get_field("email").max_length
_email_validator = EmailValidator()

# name -> max length of the text fields that may be blank
TEXT_FIELDS = {"role": 150, "department": 150, "slack_user_id": 64, "teams_user_id": 128}
NAME_FIELDS = {"first_name": 150, "last_name": 150}
CODE_FIELDS = {"business_unit": 64, "cost_centre": 64}
DATE_FIELDS = ("hire_date", "exit_date")
NOT_NULL_FIELDS = frozenset({"employee_id", "email", "status", *NAME_FIELDS})
WRITABLE_FIELDS = frozenset(
    {"employee_id", "email", "status", "country", "manager_employee_id"}
    | set(TEXT_FIELDS)
    | set(NAME_FIELDS)
    | set(CODE_FIELDS)
    | set(DATE_FIELDS)
)


def printable_key(value) -> str | None:
    """A client's key, safe to echo back in an error (JSON answers are UTF-8)."""
    if not isinstance(value, str):
        return None
    return value if storable_text(value) else value.encode("utf-8", "backslashreplace").decode("ascii", "replace")


def clean_employee_fields(data: dict) -> tuple[dict, list[dict]]:
    """Normalise the fields present in `data`; answer (clean values, field errors)."""
    clean: dict = {}
    errors: list[dict] = []

    def bad(field, message, code=CoreErrorCode.INVALID):
        errors.append(field_error(field, code, message))

    for key in data:
        if key not in WRITABLE_FIELDS:
            bad(printable_key(key), f"Unknown or read-only field {key!r}.", CoreErrorCode.UNKNOWN_FIELD)

    for field, value in data.items():
        if field not in WRITABLE_FIELDS:
            continue
        if field in DATE_FIELDS:
            _clean_date(field, value, clean, bad)
            continue
        if value is None:
            if field in NOT_NULL_FIELDS:
                bad(field, "May not be null.", CoreErrorCode.REQUIRED)
            else:
                clean[field] = None if field in CODE_FIELDS or field == "manager_employee_id" else ""
            continue
        if not isinstance(value, str):
            bad(field, "Must be a string.")
            continue
        if not storable_text(value):
            bad(field, "Contains a NUL character or an unpaired surrogate.")
            continue
        value = value.strip()
        if field in ("employee_id", "manager_employee_id"):
            if field == "manager_employee_id" and value == "":
                clean[field] = None
            elif not EMPLOYEE_ID_PATTERN.match(value):
                bad(field, "1 to 64 characters: letters, digits and . _ @ : + - (not first).")
            else:
                clean[field] = value
        elif field == "email":
            _clean_email(value, clean, bad)
        elif field == "status":
            if value not in Employee.Status.values:
                bad(field, "Must be 'active' or 'inactive'.")
            else:
                clean[field] = value
        elif field == "country":
            value = value.upper() if value.isascii() else value  # "ﬁ".upper() is "FI"
            if value and value not in COUNTRY_CODES:
                bad(field, "Must be an ISO 3166-1 alpha-2 country code.")
            else:
                clean[field] = value
        elif field in NAME_FIELDS:
            if not value or len(value) > NAME_FIELDS[field]:
                bad(field, f"1 to {NAME_FIELDS[field]} characters.")
            else:
                clean[field] = value
        elif field in CODE_FIELDS:
            if len(value) > CODE_FIELDS[field]:
                bad(field, f"At most {CODE_FIELDS[field]} characters.")
            else:
                clean[field] = value or None
        elif len(value) > TEXT_FIELDS[field]:
            bad(field, f"At most {TEXT_FIELDS[field]} characters.")
        else:
            clean[field] = value

    if error := dates_error(clean.get("hire_date"), clean.get("exit_date")):
        errors.append(error)
    return clean, errors


def dates_error(hire_date, exit_date) -> dict | None:
    """Also called with stored values merged in, so a partial update cannot break the rule."""
    if hire_date and exit_date and exit_date < hire_date:
        return field_error("exit_date", CoreErrorCode.INVALID, "May not be before hire_date.")
    return None


def _clean_email(value, clean, bad):
    if len(value) > EMAIL_MAX_LENGTH:
        bad("email", f"At most {EMAIL_MAX_LENGTH} characters.")
        return
    try:
        _email_validator(value)
    except DjangoValidationError:
        bad("email", "Not a valid email address.")
    else:
        clean["email"] = value


def _clean_date(field, value, clean, bad):
    if value is None or value == "":
        clean[field] = None
    elif isinstance(value, date):
        clean[field] = value
    elif isinstance(value, str) and ISO_DATE_PATTERN.fullmatch(value):
        try:
            clean[field] = date.fromisoformat(value)
        except ValueError:
            bad(field, "Not a calendar date.")
    else:
        bad(field, "Must be a date as YYYY-MM-DD.")


def missing_required(clean: dict) -> list[dict]:
    return [
        field_error(f, CoreErrorCode.REQUIRED, "This field is required.") for f in REQUIRED_ON_CREATE if f not in clean
    ]
