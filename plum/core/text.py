# A character that str.strip() and str.split() keep, as a regex class both JSON Schema (ECMAScript) and
# pydantic read alike: ECMAScript's \s leaves out U+001C-U+001F and U+0085, which Python counts as space.
VISIBLE = r"[^\s\u001c-\u001f\u0085]"
# The whole value: no NUL (PostgreSQL text cannot hold it) and at least one VISIBLE character.
STORABLE_VISIBLE = r"^[^\x00]*[^\x00\s\u001c-\u001f\u0085][^\x00]*$"
NO_NUL = r"^[^\x00]*$"


def storable_text(value: str) -> bool:
    """PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_json(value) -> bool:
    """Every string of a decoded JSON value, keys included, is storable text (jsonb refuses \\u0000 too).
    Walked with a stack: a deeply nested document must not exhaust Python's recursion limit."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not storable_text(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
