"""Base view for every REST endpoint, and the health endpoints."""

from django.db import connection
from django.http import JsonResponse
from rest_framework import viewsets
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from plum.api.limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from plum.api.query import HeaderContentNegotiation, check_query_parameters
from plum.core.replica import replica_configured, replica_state


class PlumViewSet(viewsets.GenericViewSet):
    """Declare `required_scopes = {action: Scope}`; undeclared actions are refused (HasDeclaredScopes)."""

    # Query parameters are strict (plum.api.query): `list` and any `@action(..., paginated=True)` take
    # `cursor`, `page_size` and the filters of `filterset_class`; other parameters an action documents go
    # in `query_parameters`; anything else is a 400 naming it. (The docstring above shows in OpenAPI.)

    required_scopes: dict | str | None = None
    max_body_bytes = DEFAULT_MAX_BODY_BYTES
    content_negotiation_class = HeaderContentNegotiation

    pagination_ordering: tuple[str, ...] = ("created_at", "id")
    filterset_class = None  # a django-filter FilterSet: the page's filters
    paginated = False  # an extra action answering a cursor page says so: @action(..., paginated=True)
    query_parameters: dict[str, tuple[str, ...]] = {}  # other documented query parameters, by action

    def answers_a_page(self) -> bool:
        return self.action == "list" or self.paginated

    def get_max_body_bytes(self) -> int:
        return self.max_body_bytes

    def initial(self, request, *args, **kwargs):
        check_body_size(request, self.get_max_body_bytes())
        super().initial(request, *args, **kwargs)  # authentication, scopes and throttling first
        check_query_parameters(self, request)

    def json_object(self, request, allowed: tuple[str, ...] | None = None) -> dict:
        """The request body, which must be a JSON object (with only the `allowed` keys, if given)."""
        if not isinstance(request.data, dict):
            raise ParseError("The request body must be a JSON object.")
        if allowed is not None and (unknown := sorted(set(request.data) - set(allowed))):
            raise ValidationError({name: [ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown})
        return request.data


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(v in ("ok", "in-process") for v in checks.values())
    if replica_configured():  # shown, never a reason to be unready: reports then read from the primary
        checks["replica"] = replica_state()
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _database_ok() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready; the answer says which check failed
        return "unreachable"


def _broker_ok() -> str:
    from django.conf import settings

    if not settings.REDIS_URL:
        return "in-process"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return "ok"
    except redis.RedisError:
        return "unreachable"
