"""POST /oauth/token/: client credentials only, throttled before any secret is hashed."""

import base64
import binascii
import json
from urllib.parse import unquote_plus

from django.http import JsonResponse
from oauth2_provider import views as oauth_views

from plum.api.errors import PROBLEM_CONTENT_TYPE, problem
from plum.api.throttling import FixedKeyThrottle
from plum.core.text import storable_text

GRANT_TYPE = "client_credentials"


def _client_id_of(request) -> str:
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.partition(":")[0])
    return request.POST.get("client_id", "")


def _oauth_problem(status: int, error: str, description: str, headers=None) -> JsonResponse:
    # RFC 6749 clients read `error`; RFC 9457 clients read `code`: both are there.
    body = {**problem(status, error, description), "error": error, "error_description": description}
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _normalise_scope(request) -> None:
    """RFC 6749 3.1: a parameter sent empty counts as omitted (all allowed scopes); extra spaces are no scope."""
    scope = request.POST.get("scope")
    if scope is None:
        return
    normal = " ".join(scope.split())
    if normal == scope != "":
        return
    form = request.POST.copy()
    if normal:
        form["scope"] = normal
    else:
        del form["scope"]
    request.POST = form


class TokenView(oauth_views.TokenView):
    def http_method_not_allowed(self, request, *args, **kwargs):
        response = _oauth_problem(405, "method_not_allowed", "The token endpoint takes POST only.")
        response["Allow"] = "POST"
        return response

    def post(self, request, *args, **kwargs):
        if request.POST.get("grant_type") != GRANT_TYPE:
            return _oauth_problem(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
        client_id = _client_id_of(request)
        named_in_form = request.POST.get("client_id")
        if request.META.get("HTTP_AUTHORIZATION") and named_in_form and named_in_form != client_id:
            return _oauth_problem(400, "invalid_request", "The Authorization header and client_id name two clients.")
        _normalise_scope(request)
        if not storable_text(client_id or ""):  # no such client; the lookup would fail
            return _oauth_problem(
                401, "invalid_client", "Unknown client or wrong secret.", {"WWW-Authenticate": 'Basic realm="plum"'}
            )
        throttles = [
            FixedKeyThrottle("token_address", FixedKeyThrottle.get_ident(None, request)),
            FixedKeyThrottle("token_client", client_id or "-"),
        ]
        for throttle in throttles:
            if not throttle.allow_request(request, self):
                wait = int(throttle.wait() or 1) + 1
                return _oauth_problem(429, "throttled", "Too many token requests.", {"Retry-After": str(wait)})
        response = super().post(request, *args, **kwargs)
        if response.status_code < 400:
            return response
        try:
            payload = json.loads(response.content)
        except ValueError:
            payload = {}
        error = payload.get("error", "invalid_request")
        description = payload.get("error_description") or {
            "invalid_client": "Unknown client or wrong secret.",
            "invalid_scope": "The client is not allowed one of the requested scopes.",
            "unauthorized_client": "This client may not use this grant type.",
        }.get(error, "The token request was refused.")
        headers = {"WWW-Authenticate": 'Basic realm="plum"'} if response.status_code == 401 else None
        return _oauth_problem(response.status_code, error, description, headers)
