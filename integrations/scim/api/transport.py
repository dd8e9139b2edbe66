"""What every SCIM endpoint shares: application/scim+json in and out, bearer tokens with the scope `scim`,
and SCIM Error messages for every refusal (RFC 7644 §3.12), never problem+json."""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView
from scim2_models import Context, Error

from integrations.scim.errors import ScimErrorCode
from plum.api.errors import PayloadTooLarge
from plum.api.limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from plum.api.parsers import JSONParser
from plum.api.scopes import Scope
from plum.core.errors import DomainError

SCIM_MEDIA_TYPE = "application/scim+json"


class ScimJSONParser(JSONParser):
    media_type = SCIM_MEDIA_TYPE


class ScimJSONRenderer(renderers.JSONRenderer):
    media_type = SCIM_MEDIA_TYPE
    format = "scim"


class ScimNegotiation(DefaultContentNegotiation):
    """application/scim+json unless the client asks for application/json; never a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, None)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict:
    return Error(status=status, scim_type=scim_type, detail=detail).model_dump(scim_ctx=Context.DEFAULT)


def _scim_type(exc: Exception, status: int) -> str | None:
    if isinstance(exc, DomainError):
        return exc.code.scim_type if isinstance(exc.code, ScimErrorCode) else "invalidValue" if status == 400 else None
    return ScimErrorCode.INVALID_SYNTAX.value if isinstance(exc, exceptions.ParseError) else None


def scim_exception_handler(exc, context):
    """Every refusal as a SCIM Error; a genuine bug is left to Django (logged, answered as a 500)."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("There is nothing here.")
    headers = {}
    if isinstance(exc, DomainError):
        status, detail = exc.http_status, exc.message
    elif isinstance(exc, exceptions.APIException):
        status, detail = exc.status_code, exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    else:
        return None
    body = error_body(status, str(detail), _scim_type(exc, status))
    return Response(body, status=status, headers=headers)


class ScimView(APIView):
    """Base of the SCIM endpoints: the token must carry the scope `scim`, and the organisation is the
    token's. SCIM describes itself at /ServiceProviderConfig, /ResourceTypes and /Schemas, so these views
    stay out of the OpenAPI document."""

    required_scopes = Scope.SCIM
    parser_classes = [ScimJSONParser, JSONParser]
    renderer_classes = [ScimJSONRenderer, renderers.JSONRenderer]
    content_negotiation_class = ScimNegotiation
    schema = None

    def get_exception_handler(self):
        return scim_exception_handler

    def initial(self, request, *args, **kwargs):
        check_body_size(request, DEFAULT_MAX_BODY_BYTES)
        super().initial(request, *args, **kwargs)

    @staticmethod
    def base_url(request) -> str:
        """…/scim/v2 as the client reached it: resources' locations and references start with it."""
        return request.build_absolute_uri(reverse("scim-root")).rstrip("/")

    @staticmethod
    def query_parameters(request) -> dict[str, list[str]]:
        return {name: request.query_params.getlist(name) for name in request.query_params}


def scim_response(body: dict, *, status: int = 200, version: str | None = None, location: str | None = None):
    headers = {key: value for key, value in (("ETag", version), ("Location", location)) if value}
    return Response(body, status=status, headers=headers)


def resource_answer(resource, context: Context, shown, status: int = 200):
    """One resource, with the attributes asked for, its ETag, and its Location when just created."""
    body = resource.model_dump(scim_ctx=context, response_parameters=shown)
    location = resource.meta.location if status == 201 else None
    return scim_response(body, status=status, version=resource.meta.version, location=location)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other path under /scim/v2/: a SCIM 404 (it names nothing, so it needs no token)."""
    return JsonResponse(error_body(404, "There is nothing here."), status=404, content_type=SCIM_MEDIA_TYPE)
