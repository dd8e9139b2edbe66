"""Body size limits, checked from Content-Length before a byte of the body is read."""

from plum.api.errors import PayloadTooLarge

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# a batch of 100,000 points requests with reasons (REST, and GraphQL variables); the settings'
# DATA_UPLOAD_MAX_MEMORY_SIZE must not be below it
BULK_MAX_BODY_BYTES = 48 * 1024 * 1024
MAX_QUERY_DOCUMENT_CHARS = 1024 * 1024  # a GraphQL document; bulk data travels as variables


def check_body_size(request, limit: int) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; this call takes at most {limit}.")
