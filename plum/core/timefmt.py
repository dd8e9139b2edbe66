from datetime import UTC, datetime

from django.utils import timezone


def iso(value) -> str | None:
    """ISO 8601 with `Z` for UTC, as every answer and event shows times; None stays None."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def as_utc(moment: datetime) -> datetime | None:
    """An aware time in UTC, or None when Python cannot hold it there (a UTC year past 9999 or before 1,
    which PostgreSQL would store but not give back). UTC also spares PostgreSQL offsets it refuses
    (beyond ±15:59, or with seconds), which Python accepts."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def parse_aware(value) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None when `value` is not one or cannot be stored."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if moment.tzinfo is None else as_utc(moment)


def api_time(value: datetime) -> str:
    """A time as both doors write it (DRF's `iso-8601`): in the current time zone (UTC), `Z` for UTC,
    microseconds only when there are some. A naive time is taken as being in the current time zone."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return iso(timezone.localtime(value))
