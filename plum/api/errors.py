"""RFC 9457 problem+json for every error path: DRF exceptions, DomainError and Django's own."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from plum.core.errors import DomainError

logger = logging.getLogger(__name__)
PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}

DRF_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "invalid_token",
    exceptions.PermissionDenied: "insufficient_scope",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def problem(status_code: int, code: str, detail: str, errors: list[dict] | None = None) -> dict:
    return {
        "type": f"urn:plum:error:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }


def problem_response(status_code: int, code: str, detail: str, errors=None, headers=None) -> Response:
    return Response(
        problem(status_code, code, detail, errors),
        status=status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _flatten_validation(detail, prefix: str = "") -> list[dict]:
    """DRF's nested ValidationError detail as a flat [{field, code, message}] list."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out += _flatten_validation(value, "" if key == "non_field_errors" else name)
        return out
    if isinstance(detail, list):
        out = []
        for i, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out += _flatten_validation(value, f"{prefix}[{i}]" if prefix else str(i))
            else:
                out += _flatten_validation(value, prefix)
        return out
    return [{"field": prefix or None, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def problem_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return problem_response(exc.http_status, str(exc.code), exc.message, exc.errors)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "The request is malformed.")
    if not isinstance(exc, exceptions.APIException):
        return None  # a genuine bug: Django logs it and handler500 answers problem+json

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), None)
    code = code or getattr(exc.detail, "code", None) or exc.default_code
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(400, code, "The input is not valid.", _flatten_validation(exc.detail), headers)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    request = context.get("request")
    if isinstance(exc, exceptions.NotAuthenticated) and request is not None:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="plum"')
    return problem_response(exc.status_code, code, detail, None, headers)


# Django's own handlers (urls.py): URLs outside DRF views answer problem+json too.
def _django_problem(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(problem(status_code, code, detail), status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def handler400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return _django_problem(413, "payload_too_large", "The request body is too large.")
    return _django_problem(400, "malformed_request", "The request is malformed.")


def handler403(request, exception=None):
    return _django_problem(403, "forbidden", "You may not do this.")


def handler404(request, exception=None):
    return _django_problem(404, "not_found", "There is nothing here.")


def handler500(request):
    return _django_problem(500, "internal_error", "Something went wrong on our side; it has been logged.")
