"""The Idempotency-Key contract (docs/api.md) for every POST that creates.

The claim is a unique row (client, key) inserted in its own committed statement, so the database
decides which of many parallel requests runs; the others see it in progress (409) or replay it.
"""

import hashlib
import json
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.errors import PROBLEM_CONTENT_TYPE, Conflict, Unprocessable, problem_exception_handler
from plum.api.models import IdempotencyRecord
from plum.core.errors import DomainError
from plum.core.text import storable_json

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

_CLAIM_SQL = """
INSERT INTO api_idempotencyrecord (client_id, key, fingerprint, status, created_at, response_content_type)
VALUES (%s, %s, %s, 'in_progress', clock_timestamp(), '')
ON CONFLICT (client_id, key) DO NOTHING
RETURNING created_at
"""
# Take over a key whose first request died mid-way, or whose answer has outlived the retention period.
_TAKEOVER_SQL = """
UPDATE api_idempotencyrecord
SET fingerprint = %s, status = 'in_progress', created_at = clock_timestamp(), completed_at = NULL,
    response_status = NULL, response_body = NULL, response_content_type = ''
WHERE client_id = %s AND key = %s
  AND ((status = 'in_progress' AND created_at < %s) OR created_at < %s)
RETURNING created_at
"""


def _canonical(data):
    """The body as plain JSON values; an uploaded file stands for its name and content hash."""
    if hasattr(data, "lists"):  # multipart / form data
        data = {key: values if len(values) > 1 else values[0] for key, values in data.lists()}
    if isinstance(data, dict):
        return {str(k): _canonical(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_canonical(v) for v in data]
    if hasattr(data, "chunks"):
        digest = hashlib.sha256()
        for chunk in data.chunks():
            digest.update(chunk)
        data.seek(0)
        return {"file": data.name, "sha256": digest.hexdigest()}
    return data


def request_fingerprint(request) -> str:
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(client_id: int, key: str, fingerprint: str):
    """The claim's time when this request may run, else None. A request that outlived its claim finds
    a later time on the row (another request took it over) and leaves that row alone."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [client_id, key, fingerprint])
        if row := cursor.fetchone():
            return row[0]
        stale = now - settings.PLUM_IDEMPOTENCY_STALE_AFTER
        expired = now - settings.PLUM_IDEMPOTENCY_TTL
        cursor.execute(_TAKEOVER_SQL, [fingerprint, client_id, key, stale, expired])
        row = cursor.fetchone()
        return row[0] if row else None


def _replay(client_id: int, key: str, fingerprint: str, rerun) -> Response:
    record = IdempotencyRecord.objects.filter(client_id=client_id, key=key).first()
    if record is None:  # freed between our claim attempt and this read: ask the client to retry
        raise Conflict("The first request with this Idempotency-Key is still running.", code="request_in_progress")
    if record.fingerprint != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request body.", code="idempotency_key_reused"
        )
    if record.status == IdempotencyRecord.Status.IN_PROGRESS:
        raise Conflict("The first request with this Idempotency-Key is still running.", code="request_in_progress")
    body = None if record.response_body is None else json.loads(record.response_body)
    if body is None and record.response_status < 400:  # a secret answer, not stored: rendered again
        body = rerun().data
    return Response(
        body,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
        content_type=record.response_content_type or None,
    )


def idempotent(handler=None, *, secret_answer: bool = False):
    """Wrap a DRF create handler so that a repeated Idempotency-Key replays the first answer.

    `secret_answer`: a successful answer holds secrets (voucher codes) that must not rest in this
    table; only its status is kept, and a replay runs the handler again, which must then answer the
    same document by the resource's own reference (an order_id replay). Error answers are kept."""
    if handler is None:
        return lambda h: idempotent(h, secret_answer=secret_answer)

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError({HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable characters."]})
        client_id = actor_of(request).client_id
        try:
            fingerprint = request_fingerprint(request)
        except RecursionError:
            raise exceptions.ParseError("The body is nested too deeply.") from None
        claimed_at = _claim(client_id, key, fingerprint)
        if claimed_at is None:
            return _replay(client_id, key, fingerprint, lambda: handler(view, request, *args, **kwargs))
        claim = IdempotencyRecord.objects.filter(client_id=client_id, key=key, created_at=claimed_at)
        try:
            response = handler(view, request, *args, **kwargs)
        except (DomainError, exceptions.APIException) as exc:
            response = problem_exception_handler(exc, {"request": request, "view": view})
        except BaseException:
            claim.delete()
            raise
        body = None if secret_answer and response.status_code < 400 else response.data
        if response.status_code >= 500 or not storable_json(body):  # an error echoing NUL, say: not kept
            claim.delete()
            return response
        content_type = PROBLEM_CONTENT_TYPE if response.status_code >= 400 else ""
        claim.update(
            status=IdempotencyRecord.Status.COMPLETED,
            response_status=response.status_code,
            response_body=None if body is None else json.dumps(body, cls=DjangoJSONEncoder),
            response_content_type=content_type,
            completed_at=timezone.now(),
        )
        return response

    wrapper.idempotent = True  # read by the OpenAPI generator to document the header
    return wrapper


class SecretOnce:
    """A viewset mixin for creates whose answer carries a secret shown once (hook endpoints, webhooks): the
    handler answers the document and `secret_once(request, secret)`; the secret is added after the answer
    is kept for Idempotency-Key replays, so a replay answers the same document without it."""

    @staticmethod
    def secret_once(request, secret: str) -> None:
        request.issued_secret = secret

    def finalize_response(self, request, response, *args, **kwargs):
        secret = getattr(request, "issued_secret", None)
        if secret is not None and response.status_code < 400:
            response.data = {**response.data, "secret": secret}
        return super().finalize_response(request, response, *args, **kwargs)


def idempotency_purge(now=None) -> int:
    """Delete answers older than the retention period (docs/api.md: kept 48 hours by default)."""
    cutoff = (now or timezone.now()) - settings.PLUM_IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
