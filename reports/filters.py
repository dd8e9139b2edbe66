"""What a report takes: its groups, measures and filter (plain values, below selectors and commands)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

POINTS_GROUPS = ("business_unit", "cost_centre", "country", "department", "programme", "month")
POINTS_MEASURES = ("awarded", "reversed", "redeemed", "expired", "recipients")
VOUCHER_GROUPS = ("brand", "product", "business_unit", "country", "month", "status", "currency")
VOUCHER_MEASURES = ("issued", "redeemed", "expired", "cancelled", "face_value", "points")
BUDGET_MONTH_COLUMNS = ("month", "funded", "awarded", "reversed", "remaining")


@dataclass(frozen=True)
class ReportFilter:
    """Both ends inclusive, local days of the organisation's time zone; codes as the API shows them."""

    date_from: date | None = None
    date_to: date | None = None
    programme: str | None = None
    business_unit: str | None = None
    country: str | None = None


def ordered_groups(group_by: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """The asked groups, deduplicated, in the API's order."""
    asked = set(group_by)
    return tuple(name for name in allowed if name in asked)
