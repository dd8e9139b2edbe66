"""Shape checks shared by the bodies the vouchers services take (400s; business rules come later)."""

from collections.abc import Callable

from plum.core.errors import CoreErrorCode, ValidationFailed, field_error

Check = tuple[Callable[[object], bool], str]  # (is the value right, what it must be)


def reference_ok(value) -> bool:
    """A client's own reference: 1 to 128 printable ASCII characters, no spaces."""
    return isinstance(value, str) and 1 <= len(value) <= 128 and all("\x21" <= c <= "\x7e" for c in value)


def whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def checked_fields(data, *, what: str, fields: set, required: tuple, checks: dict[str, Check]) -> tuple[dict, list]:
    """The body's known fields (None where absent) and every error of shape found: not an object,
    unknown or missing fields, and values a check refuses."""
    if not isinstance(data, dict):
        raise ValidationFailed([field_error(None, CoreErrorCode.INVALID, f"{what} must be an object.")])
    errors = [field_error(k, CoreErrorCode.UNKNOWN_FIELD, f"Unknown field {k!r}.") for k in data if k not in fields]
    errors += [
        field_error(k, CoreErrorCode.REQUIRED, "This field is required.") for k in required if data.get(k) is None
    ]
    clean = {k: data.get(k) for k in fields}
    errors += [
        field_error(name, CoreErrorCode.INVALID, message)
        for name, (ok, message) in checks.items()
        if clean[name] is not None and not ok(clean[name])
    ]
    return clean, errors
