"""Typed input of the HRMS connection and run writes, for every door (REST, admin, tasks).

Shapes are checked here; what the vendor needs (settings, credentials, field_map paths) is the vendor
module's check and whether Plum may call base_url the outbound guard's, both run by the services."""

from enum import StrEnum
from typing import Annotated, Any

import httpx
from celery.schedules import crontab
from django.core.exceptions import ValidationError as DjangoValidationError
from django_celery_beat.validators import crontab_validator
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictStr

from integrations.hrms.errors import HrmsErrorCode
from integrations.hrms.models import Connection
from plum.core.commands import Command, rule_error, text
from plum.core.errors import CoreErrorCode
from plum.core.text import storable_json

URL_MAX_LENGTH = Connection._meta.get_field("base_url").max_length
URL_RULE = f"An absolute http or https URL of at most {URL_MAX_LENGTH} characters."
SCHEDULE_RULE = "A cron expression of five fields (minute hour day-of-month month day-of-week, UTC), or empty."
RATIO_RULE = "A number from 0 to 1."
MAX_MEMBERS = 50  # settings, credentials and field_map entries
SETTING_MAX_LENGTH = 500  # a tenant, a report name, a dataset key
PROVIDERS = tuple(Connection.Provider.values)


def _absolute_url(value: str) -> str:
    """Shape only; whether Plum may call it is the service's check (url_not_allowed)."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise rule_error(CoreErrorCode.INVALID, URL_RULE) from None
    if url.scheme not in ("http", "https") or not url.host or any(c.isspace() for c in value):
        raise rule_error(CoreErrorCode.INVALID, URL_RULE)
    return value


def cron_fields(value: str) -> dict[str, str]:
    """A valid schedule's five fields as django_celery_beat's CrontabSchedule names them."""
    minute, hour, day_of_month, month_of_year, day_of_week = value.split()
    return {
        "minute": minute,
        "hour": hour,
        "day_of_month": day_of_month,
        "month_of_year": month_of_year,
        "day_of_week": day_of_week,
    }


def _schedule(value: str) -> str:
    """Fields separated by single spaces; whether they make a schedule is schedule_problem's."""
    return " ".join(value.split())


def schedule_problem(value: str) -> str | None:
    """Why five fields are not a schedule both python-crontab (django_celery_beat's validator) and Celery's
    beat can read, or None. The services refuse it with 422: the schema cannot state every cron rule."""
    if not value:
        return None
    if len(value.split()) != 5:  # Python splits on more spaces than the schema's pattern (ECMAScript) knows
        return SCHEDULE_RULE
    try:
        crontab_validator(value)
        crontab(**cron_fields(value))
    except (DjangoValidationError, ValueError) as exc:
        message = exc.messages[0] if isinstance(exc, DjangoValidationError) else str(exc)
        return f"{SCHEDULE_RULE} ({message})"
    return None


def _number(value: Any) -> Any:
    """A JSON number, never a boolean or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise rule_error(CoreErrorCode.INVALID, RATIO_RULE)
    return value


def _ratio(value: float) -> float:
    if not 0 <= value <= 1:  # NaN is refused too
        raise rule_error(CoreErrorCode.INVALID, RATIO_RULE)
    return float(value)


def _storable(value: dict) -> dict:
    if not storable_json(value):
        raise rule_error(CoreErrorCode.INVALID, "Contains a NUL character or an unpaired surrogate.")
    return value


ProviderName = StrEnum("HrmsConnectionProvider", {p: p for p in PROVIDERS})
ProviderName.__doc__ = "workday, successfactors or darwinbox"
ModeName = StrEnum("HrmsConnectionMode", {m: m for m in Connection.Mode.values})
ModeName.__doc__ = "full or incremental"
Provider = Annotated[ProviderName, AfterValidator(lambda provider: provider.value)]
BaseUrl = Annotated[
    text(URL_MAX_LENGTH, strip=True, min_length=1),
    AfterValidator(_absolute_url),
    Field(
        description="The vendor's API host (Plum appends the vendor's paths); it must not resolve to a loopback, "
        "private, link-local or metadata address (422 url_not_allowed)",
        json_schema_extra={"format": "uri"},
    ),
]
Settings = Annotated[
    dict[str, text(SETTING_MAX_LENGTH)],
    AfterValidator(_storable),
    Field(
        max_length=MAX_MEMBERS,
        description='Per provider: Workday {"tenant", "report_owner", "report_name"} or {"tenant", "api": '
        '"workers"}; SuccessFactors {"company_id"}; Darwinbox {"dataset_key_active", "dataset_key_inactive"}',
    ),
]
Credentials = Annotated[
    dict[str, text(2000)],
    AfterValidator(_storable),
    Field(
        max_length=MAX_MEMBERS,
        description='Write-only, stored sealed: {"username", "password"} (Darwinbox also "api_key"), or '
        '{"client_id", "client_secret", "token_url"} for OAuth 2.0',
    ),
]
Schedule = Annotated[
    text(100),
    AfterValidator(_schedule),
    Field(
        description=SCHEDULE_RULE + " Empty: runs only when started. Example: `30 2 * * 1-5`.",
        json_schema_extra={"format": "cron", "pattern": r"^\s*$|^\s*\S+(\s+\S+){4}\s*$"},
    ),
]
Mode = Annotated[
    ModeName,
    AfterValidator(lambda mode: mode.value),
    Field(
        description="full: everyone active missing from the feed is deactivated; incremental: only what changed "
        "since the last run's watermark, never deactivating"
    ),
]
FieldMap = Annotated[
    dict[str, text(200)],
    AfterValidator(_storable),
    Field(
        max_length=MAX_MEMBERS,
        description="Vendor field (dotted path) -> employee field; replaces the provider's default source of "
        "that employee field. {} keeps the defaults",
    ),
]
Ratio = Annotated[
    float,
    BeforeValidator(_number),
    AfterValidator(_ratio),
    Field(
        json_schema_extra={"minimum": 0, "maximum": 1},  # checked by _ratio (a bool or a string is refused first)
        description="0 to 1 (default 0.1): a full run that would deactivate more than this share of the "
        "active employees waits at needs_confirmation",
    ),
]


class ConnectionCreate(Command):
    """A new connection; credentials are stored sealed and never shown again."""

    provider: Provider
    base_url: BaseUrl
    settings: Settings = {}
    credentials: Credentials
    schedule: Schedule = ""
    mode: Mode = "full"
    field_map: FieldMap = {}
    max_deactivation_ratio: Ratio = 0.1
    active: StrictBool = True

    error_messages = {
        "base_url": URL_RULE,
        ("settings", "dict_type"): "Must be an object of strings.",
        ("credentials", "dict_type"): "Must be an object of strings.",
        ("field_map", "dict_type"): "Must be an object of vendor paths to employee fields.",
        "max_deactivation_ratio": RATIO_RULE,
        "mode": "Must be 'full' or 'incremental'.",
        ("provider", "enum"): (HrmsErrorCode.UNKNOWN_PROVIDER, f"Unknown provider; one of {', '.join(PROVIDERS)}."),
    }


class ConnectionChanges(Command):
    """Omitted fields keep their values; credentials sent replace the stored ones whole. The provider
    cannot change (create another connection)."""

    provider: Provider = None
    base_url: BaseUrl = None
    settings: Settings = None
    credentials: Credentials = None
    schedule: Schedule = None
    mode: Mode = None
    field_map: FieldMap = None
    max_deactivation_ratio: Ratio = None
    active: StrictBool = None

    error_messages = ConnectionCreate.error_messages


class ConnectionRef(Command):
    """One connection, by its id as given (one that is not a UUID is not found: 404)."""

    connection_id: StrictStr


class ConnectionUpdate(ConnectionChanges, ConnectionRef):
    @classmethod
    def of(cls, connection_id: str, data: Any) -> "ConnectionUpdate":
        """The changes a body asks of the connection its path names."""
        changes = ConnectionChanges.parse(data)
        return cls.model_validate({"connection_id": connection_id, **changes.given()})

    def changes(self) -> dict:
        return {name: value for name, value in self.given().items() if name != "connection_id"}


class RunRef(Command):
    """One run of one connection, by their ids as given."""

    connection_id: StrictStr
    run_id: StrictStr
