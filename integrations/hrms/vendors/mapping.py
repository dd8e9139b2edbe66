"""From vendor records to canonical employee records: dotted paths, field maps, normalised values.

A path names a value inside a vendor record: `empInfo.jobInfoNav.costCenter`. On the way down, an OData
navigation (`{"results": [...]}`) and a list (a Workday multi-instance column) are read at their first
entry, the effective record. Values are normalised per employee field: text trimmed, statuses to
"active"/"inactive", countries to ISO alpha-2, dates to YYYY-MM-DD.
"""

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import pycountry

from integrations.hrms.vendors.base import EMPLOYEE_FIELDS

PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")
PATH_MAX_LENGTH = 200
MISSING = object()
REQUIRED_TEXT = frozenset({"employee_id", "email", "first_name", "last_name"})  # empty: left out, never cleared

_ODATA_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:$|[T ]|Z|[+-]\d{2}:?\d{2}$)")
_ACTIVE = frozenset({"active", "t", "true", "1", "yes", "y", "a", "e", "active_external_suite"})
_INACTIVE = frozenset(
    {"inactive", "f", "false", "0", "no", "n", "d", "i", "terminated", "inactive_external_suite", "exited"}
)
_OPEN_END = date(9999, 12, 31)  # an effective-dated record that never ends has no exit date


class Invalid(ValueError):
    """A vendor value that cannot become the employee field's value; the message says why."""


# --- Field maps -----------------------------------------------------------------------------------


def field_map_errors(field_map: Any) -> list[dict]:
    """Why a connection's field_map cannot be saved: not an object, a malformed path, an unknown
    employee field, or two paths for one field."""
    if not isinstance(field_map, dict):
        return [_invalid("field_map must be an object of vendor path -> employee field.")]
    errors, named = [], {}
    for path, employee_field in field_map.items():
        if not isinstance(path, str) or len(path) > PATH_MAX_LENGTH or not PATH.fullmatch(path):
            errors.append(_invalid(f"{str(path)[:80]!r} is not a vendor field path (names joined by dots)."))
        if employee_field not in EMPLOYEE_FIELDS:
            shown = str(employee_field)[:40]
            errors.append(
                _invalid(f"{shown!r} (for {str(path)[:80]!r}) is not an employee field: {', '.join(EMPLOYEE_FIELDS)}.")
            )
        elif employee_field in named:
            errors.append(_invalid(f"{named[employee_field]!r} and {path!r} both fill {employee_field}."))
        else:
            named[employee_field] = path
    return errors


def _invalid(message: str) -> dict:
    return {"field": "field_map", "code": "invalid", "message": message}


def merged(defaults: dict[str, str], field_map: dict[str, str]) -> dict[str, str]:
    """The vendor path -> employee field map in force: each entry of field_map replaces the default
    source of the employee field it names."""
    overridden = set(field_map.values())
    kept = {path: name for path, name in defaults.items() if name not in overridden}
    return kept | field_map


# --- Reading and normalising ----------------------------------------------------------------------


def lookup(record: Any, path: str | tuple[str, ...]) -> Any:
    """The value at a dotted path (or its names, already split), or MISSING when the record lacks it."""
    value = record
    for name in path.split(".") if isinstance(path, str) else path:
        if type(value) is not dict:  # type() is: the hot path of a 100,000-record pull
            value = _entry(value)
            if type(value) is not dict:
                return MISSING
        if name not in value:
            results = value.get("results")
            if type(results) is not list or not results or type(results[0]) is not dict or name not in results[0]:
                return MISSING
            value = results[0]
        value = value[name]
    return _entry(value) if type(value) is dict and "results" in value else value


def _entry(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    if isinstance(value, list):
        return value[0] if value else MISSING
    return value


class Mapper:
    """Turns one vendor's records into canonical records with a field map in force (paths split once)."""

    def __init__(self, field_map: dict[str, str], fallbacks: dict[str, str] | None = None):
        self.paths = [(path, tuple(path.split(".")), name) for path, name in field_map.items()]
        self.fields = set(field_map.values())
        self.fallbacks = {
            name: tuple(path.split(".")) for name, path in (fallbacks or {}).items() if name in self.fields
        }
        self.id_path = next((path for path, name in field_map.items() if name == "employee_id"), "")

    def page(self, raw_records: list, *, constants: dict | None = None) -> tuple[list[dict], list[dict]]:
        """(records, errors): a record with a value that does not normalise is reported, not returned."""
        records, errors = [], []
        for index, raw in enumerate(raw_records):
            record, error = self.record(raw)
            if error:
                errors.append({"index": index, **error})
            else:
                records.append(record | constants if constants else record)
        return records, errors

    def record(self, raw: Any) -> tuple[dict, dict | None]:
        if not isinstance(raw, dict):
            return {}, _error(None, "employee_id", "The vendor record is not an object.")
        record = {}
        for path, names, field in self.paths:
            value = lookup(raw, names)
            if (value is MISSING or value is None or value == "") and field in self.fallbacks:
                value = lookup(raw, self.fallbacks[field])
            if value is MISSING:
                continue
            try:
                normalised = _NORMALISERS.get(field, _text)(field, value)
            except Invalid as exc:
                employee_id = _text_or_none(lookup(raw, self.id_path)) if self.id_path else None
                return {}, _error(employee_id, field, f"{path}: {exc}")
            if normalised is not MISSING:
                record[field] = normalised
        if not record.get("employee_id"):
            message = f"The record has no employee id ({self.id_path})."
            return {}, _error(None, "employee_id", message)
        return record, None


def _error(employee_id: str | None, field: str, message: str) -> dict:
    return {"employee_id": employee_id, "field": field, "code": "invalid", "message": message}


def _text(name: str, value: Any) -> Any:
    if type(value) is str:  # the common case, first
        text = value.strip()
    elif isinstance(value, (dict, list)):
        raise Invalid("is an object, not a value; name a field inside it.")
    else:
        text = _text_or_none(value)
    if name == "manager_employee_id":
        return None if text in (None, "", "NO_MANAGER") else text
    if not text:
        return MISSING if name in REQUIRED_TEXT else ""
    return text


def _value(convert):
    def normaliser(name: str, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            raise Invalid("is an object, not a value; name a field inside it.")
        return convert(value)

    return normaliser


def _text_or_none(value: Any) -> str | None:
    if value is None or value is MISSING or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def to_status(value: Any) -> str | Any:
    if value is None or value == "":
        return MISSING
    key = ("1" if value else "0") if isinstance(value, bool) else str(value).strip().lower()
    if key in _ACTIVE:
        return "active"
    if key in _INACTIVE:
        return "inactive"
    raise Invalid(f"{str(value)[:40]!r} is not a status Plum knows (active or inactive).")


def to_country(value: Any) -> str:
    text = _text_or_none(value)
    if not text:
        return ""
    code = _country_code(text.casefold())
    if code is None:
        raise Invalid(f"{text[:60]!r} is not a country (ISO alpha-2, alpha-3 or English name).")
    return code


@lru_cache(maxsize=512)
def _country_code(text: str) -> str | None:
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


def to_date(value: Any) -> str | None:
    """YYYY-MM-DD from OData /Date(ms)/ (with or without an offset), DD-MM-YYYY (Darwinbox), DD-Mon-YYYY,
    or ISO (with a time or an offset); None for empty and for the open end 9999-12-31."""
    text = _text_or_none(value)
    if not text:
        return None
    try:
        day = _parsed_date(text)
    except (ValueError, OverflowError):
        day = None
    if day is None:
        raise Invalid(f"{text[:40]!r} is not a date (YYYY-MM-DD, DD-MM-YYYY or /Date(ms)/).")
    return None if day >= _OPEN_END else day.isoformat()


def _parsed_date(text: str) -> date | None:
    if odata := _ODATA_DATE.fullmatch(text):
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(odata.group(1)))).date()
    if iso := _ISO_DATE.match(text):
        return date.fromisoformat(iso.group(1))
    for pattern in ("%d-%m-%Y", "%d-%b-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def odata_datetime(value: Any) -> str | None:
    """An OData /Date(ms[+hhmm])/ instant as UTC ISO text to the second (a watermark), or None."""
    match = _ODATA_DATE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return None
    moment = datetime(1970, 1, 1) + timedelta(milliseconds=int(match.group(1)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


_NORMALISERS = {
    "status": _value(to_status),
    "country": _value(to_country),
    "hire_date": _value(to_date),
    "exit_date": _value(to_date),
}
