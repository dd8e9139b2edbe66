"""What an entry's `changes` may hold: JSON-safe values, and never a secret, code, PIN or token.

The denylist applies at every depth, to every caller, so a service cannot leak one by passing a whole
document."""

import datetime
import decimal
import enum
import uuid
from collections.abc import Mapping

# Keys (lower-cased) whose values never enter the trail.
DENIED_KEYS = frozenset(
    {
        "secret",
        "code",
        "codes",
        "voucher_code",
        "full_code",
        "pin",
        "token",
        "password",
        "signing_secret",
        "client_secret",
        "webhook_secret",
        "access_token",
        "refresh_token",
        "api_key",
        "private_key",
        "authorization",
        "otp",
    }
)
DENIED_SUFFIXES = ("_secret", "_token", "_password", "_pin", "_sealed", "_hash", "_checksum", "_api_key")
DENIED_PREFIXES = ("secret_", "token_", "password_", "pin_")


def is_denied(key: str) -> bool:
    name = str(key).lower()
    return name in DENIED_KEYS or name.endswith(DENIED_SUFFIXES) or name.startswith(DENIED_PREFIXES)


def json_safe(value):
    """Dates and datetimes ISO 8601, decimals and UUIDs as strings, enums by value, sets sorted; denied
    keys dropped from mappings at any depth."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if not is_denied(k)}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)


def changes_between(before: Mapping, after: Mapping) -> dict:
    """{field: [before, after]} for each field whose JSON-safe value differs (a field on one side only counts
    as None on the other); denied fields never appear."""
    result = {}
    for field in (*before, *(k for k in after if k not in before)):
        if is_denied(field):
            continue
        old, new = json_safe(before.get(field)), json_safe(after.get(field))
        if old != new:
            result[str(field)] = [old, new]
    return result


def created(values: Mapping) -> dict:
    """A create's changes: every stored field that holds something as [None, value] (a null stays out)."""
    return {str(k): [None, json_safe(v)] for k, v in values.items() if v is not None and not is_denied(k)}


def counts(values: Mapping[str, int]) -> dict:
    """A bulk job's changes: one entry per job holding its counts, never one per row."""
    return {"counts": [None, json_safe(dict(values))]}
