"""What every vendor module gives the HRMS run, and what the run gives it.

A run (integrations.hrms.services) calls, for one connection:

    vendor = vendor_for(spec.provider)
    cursor = vendor.first_cursor(spec)             # where a run starts (spec.watermark for incremental)
    while cursor is not None:
        page = vendor.fetch(spec, cursor)          # one vendor call (or a few): raises FetchFailed
        ... stage page.records (canonical employee records) and page.errors ...
        cursor = page.next_cursor                  # JSON, stored on the run between chunks
    ... watermark = the highest page.watermark ...

Vendor modules know nothing of models or the database: they turn vendor pages into canonical employee
records, the shape `POST /api/v1/employees/sync/` takes (users.commands.EmployeeRecord), which the users
sync service then applies.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

# The employee fields a field_map may name (users.commands.EmployeeRecord's fields).
EMPLOYEE_FIELDS = (
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "role",
    "department",
    "business_unit",
    "cost_centre",
    "country",
    "manager_employee_id",
    "hire_date",
    "exit_date",
)


class FetchFailed(Exception):
    """The vendor could not be read; the run fails with this message, which says what to fix."""


@dataclass(frozen=True)
class ConnectionSpec:
    """A connection as a vendor module needs it: credentials already unsealed."""

    provider: str  # "workday" / "successfactors" / "darwinbox"
    base_url: str  # the vendor's API host; the module appends its paths
    settings: dict[str, Any]
    credentials: dict[str, str]
    mode: str  # "full" / "incremental"
    field_map: dict[str, str]  # vendor dotted path -> employee field; overrides the defaults for that field
    watermark: str | None = None  # stored by the last completed run; incremental runs read only what changed since


@dataclass(frozen=True)
class Page:
    records: list[dict]  # canonical employee records (EmployeeRecord's fields, values normalised)
    # {"index" (in this page), "employee_id", "field", "code": "invalid", "message"} per record left out
    errors: list[dict] = field(default_factory=list)
    next_cursor: dict | None = None  # JSON the next fetch takes; None: this was the last page
    # the highest modification time seen on this page (UTC ISO text, "2026-01-31T08:15:00": compare as text)
    watermark: str | None = None


class Vendor:
    """One HRMS. Subclass per vendor module and register it in vendors/__init__.py."""

    provider: ClassVar[str]
    default_field_map: ClassVar[dict[str, str]]  # vendor dotted path -> employee field

    def validate(self, *, base_url: str, settings: dict, credentials: dict, field_map: dict) -> list[dict]:
        """Field errors ({"field", "code", "message"}) for a connection being saved: settings and
        credentials this vendor needs, field_map paths. Empty when it is fine."""
        raise NotImplementedError

    def defaults(self, settings: dict) -> dict[str, str]:
        """The default field_map for a connection with these settings (Workday: RaaS or workers)."""
        return dict(self.default_field_map)

    def first_cursor(self, spec: ConnectionSpec) -> dict:
        raise NotImplementedError

    def fetch(self, spec: ConnectionSpec, cursor: dict) -> Page:
        """One page. Raises FetchFailed when the vendor cannot be read (after the retries it is owed)."""
        raise NotImplementedError
