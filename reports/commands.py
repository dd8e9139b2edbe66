"""Report inputs, parsed and validated once for both doors (GraphQL and CSV)."""

import re
from collections.abc import Sequence
from datetime import date, datetime

from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.text import storable_text
from reports.filters import (
    BUDGET_MONTH_COLUMNS,
    POINTS_GROUPS,
    POINTS_MEASURES,
    VOUCHER_GROUPS,
    VOUCHER_MEASURES,
    ReportFilter,
    ordered_groups,
)

__all__ = [
    "BUDGET_MONTH_COLUMNS",
    "POINTS_GROUPS",
    "POINTS_MEASURES",
    "VOUCHER_GROUPS",
    "VOUCHER_MEASURES",
    "ReportFilter",
    "group_by_parse",
    "programme_code_parse",
    "report_filter_parse",
]

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CODE = re.compile(r"^[^\x00]{1,64}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
FILTER_FIELDS = ("date_from", "date_to", "programme", "business_unit", "country")


def _date(value, field: str, errors: list) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(field_error(field, CoreErrorCode.INVALID, "A date, YYYY-MM-DD."))
    return None


def _code(value, field: str, errors: list) -> str | None:
    if value is None or (isinstance(value, str) and _CODE.match(value) and storable_text(value)):
        return value
    errors.append(field_error(field, CoreErrorCode.INVALID, "A code of 1 to 64 characters."))
    return None


def report_filter_parse(data: dict, *, names: dict[str, str] | None = None) -> ReportFilter:
    """A ReportFilter from a door's values (dates as date objects or ISO strings); `names` maps each field
    to the name the door shows in errors (REST `from`, GraphQL `filter.from`). Bad values: ValidationFailed."""
    names = names or {}
    errors: list[dict] = []
    country = data.get("country")
    if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
        errors.append(field_error(names.get("country", "country"), CoreErrorCode.INVALID, "ISO 3166 alpha-2."))
        country = None
    parsed = ReportFilter(
        date_from=_date(data.get("date_from"), names.get("date_from", "date_from"), errors),
        date_to=_date(data.get("date_to"), names.get("date_to", "date_to"), errors),
        programme=_code(data.get("programme"), names.get("programme", "programme"), errors),
        business_unit=_code(data.get("business_unit"), names.get("business_unit", "business_unit"), errors),
        country=country,
    )
    if errors:
        raise ValidationFailed(errors)
    return parsed


def group_by_parse(values: Sequence[str], allowed: Sequence[str], *, field: str = "group_by") -> tuple[str, ...]:
    """Group names in the API's order; an unknown one is ValidationFailed naming it."""
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValidationFailed(
            [
                field_error(field, CoreErrorCode.INVALID, f"Unknown group {value!r}; one of {', '.join(allowed)}.")
                for value in unknown
            ]
        )
    return ordered_groups(values, allowed)


def programme_code_parse(value, *, field: str = "programme") -> str:
    errors: list[dict] = []
    if value is None:
        raise ValidationFailed([field_error(field, CoreErrorCode.REQUIRED, "A programme code.")])
    code = _code(value, field, errors)
    if errors:
        raise ValidationFailed(errors)
    return code
