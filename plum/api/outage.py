"""While the database is unreachable (restarting, failing over, shutting down) every request that needs it
answers 503 `database_unavailable` with `Retry-After`, never a 500: clients retry, nothing was written
(plum.core.outage tells these errors from the others). The connection is dropped at the end of such a
request (Django closes connections that had errors and fail their check), so the next one reconnects.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from plum.api.errors import PROBLEM_CONTENT_TYPE, is_api_path, problem
from plum.core.outage import is_database_unavailable

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "database_unavailable"
DETAIL = (
    "The database is unavailable for a moment (restarting or failing over). Retry after Retry-After seconds;"
    " a create repeated with its Idempotency-Key or reference is applied once."
)


def retry_after() -> str:
    return str(settings.PLUM_DATABASE_RETRY_AFTER_SECONDS)


def database_unavailable_response(request) -> HttpResponse:
    if is_api_path(request.path):
        response = JsonResponse(
            problem(503, DATABASE_UNAVAILABLE, DETAIL), status=503, content_type=PROBLEM_CONTENT_TYPE
        )
    else:  # the admin and pages: a plain page, no traceback
        response = HttpResponse(DETAIL, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after()
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that failed because the database is unreachable answers 503 with Retry-After (DRF views reach
    here too: their exception handler leaves such errors alone). Errors raised before the view (another
    middleware) are answered the same way by handler500 (plum.api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)
