"""Whether raw text from a client is a value of a model field that PostgreSQL takes and Python reads back."""

from datetime import datetime

from django.core.exceptions import ValidationError

from plum.core.text import storable_text
from plum.core.timefmt import as_utc

_BIGINT = 2**63


def storable_value(field, raw) -> bool:
    """False for text the field does not read, NUL or unpaired surrogates, integers past bigint, and
    times without an offset, with one PostgreSQL refuses (beyond ±15:59, or seconds), or past year 9999
    in UTC. Used where raw text would otherwise reach a query as it is (cursors, admin selections)."""
    try:
        value = field.to_python(raw)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    if isinstance(value, datetime):
        offset = value.utcoffset().total_seconds() if value.tzinfo else None
        return offset is not None and offset % 60 == 0 and abs(offset) < 16 * 3600 and as_utc(value) is not None
    if isinstance(value, int):
        return -_BIGINT <= value < _BIGINT
    if isinstance(value, str):
        return storable_text(value)
    return value is not None
