"""RFC 9457 problem+json for every error path: DRF exceptions, DomainError and Django's own."""

import logging
import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views import defaults
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
    503: "Service unavailable",
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


# Django's own handlers (urls.py) and ProblemMiddleware: the API's paths answer problem+json on every error,
# DEBUG on or off; other paths (the admin, /) keep Django's pages.
API_PATH_PREFIXES = ("/api/", "/oauth/", "/scim/", "/graphql/", "/hooks/")
# Django's defaults for a status it answers by itself; a view's own error has its own code.
STATUS_CODES = {
    400: "malformed_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    500: "internal_error",
}
DETAILS = {
    400: "The request is malformed.",
    403: "You may not do this.",
    404: "There is nothing here.",
    405: "This path does not take this method.",
    413: "The request body is too large.",
    500: "Something went wrong on our side; it has been logged.",
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def _django_problem(status_code: int, code: str | None = None, detail: str | None = None) -> JsonResponse:
    fallback = "internal_error" if status_code >= 500 else "malformed_request"
    code = code or STATUS_CODES.get(status_code, fallback)
    detail = detail or DETAILS.get(status_code) or DETAILS[500 if status_code >= 500 else 400]
    return JsonResponse(problem(status_code, code, detail), status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def handler400(request, exception=None):
    if not is_api_path(request.path):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _django_problem(413)
    return _django_problem(400)


def handler403(request, exception=None):
    return _django_problem(403) if is_api_path(request.path) else defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    return _django_problem(404) if is_api_path(request.path) else defaults.page_not_found(request, exception)


def handler500(request):
    from plum.api.outage import database_unavailable_response
    from plum.core.outage import is_database_unavailable

    # Called while Django handles the exception: a database that went away is a 503, not a bug.
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    return _django_problem(500) if is_api_path(request.path) else defaults.server_error(request)


# What a view answers deliberately: problem+json, or a JSON format of the protocol's own (GraphQL errors).
_JSON_TYPES = ("application/json", "application/problem+json")


def _is_json(response) -> bool:
    media_type = (response.get("Content-Type") or "").split(";")[0].strip().lower()
    return media_type in _JSON_TYPES or (media_type.startswith("application/") and media_type.endswith("+json"))


class ProblemMiddleware:
    """An error Django answered by itself under an API path (its DEBUG pages for a 404 or a 500, a 405 or a
    CSRF 403 page) becomes problem+json. Outermost, so it sees every response; Django has already logged a
    500 and sent got_request_exception by then."""

    KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path) or _is_json(response):
            return response
        replacement = _django_problem(response.status_code)
        for header in self.KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        # Django logged the error (a 500 with its traceback) when it made the page: not again without it
        replacement._has_been_logged = getattr(response, "_has_been_logged", False)
        return replacement
