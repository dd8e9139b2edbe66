def iso(value) -> str | None:
    """ISO 8601 with `Z` for UTC, as every answer and event shows times; None stays None."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
