"""Body size limits, checked from Content-Length before a byte of the body is read."""

from plum.api.errors import PayloadTooLarge

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def check_body_size(request, limit: int) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; this call takes at most {limit}.")
