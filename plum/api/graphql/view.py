"""/graphql/: DRF authentication, throttling and body limits in front of graphene-django's executor."""

import json
import logging
import re

from django.conf import settings
from django.http import HttpResponse
from graphene.validation import depth_limit_validator
from graphene_django.views import GraphQLView, HttpError
from graphql import GraphQLError
from graphql.validation import specified_rules
from rest_framework.views import APIView

from plum.api.graphql.limits import NoIntrospection, max_aliases_rule, max_cost_rule
from plum.api.graphql.scoping import ScopeMiddleware
from plum.api.limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from plum.api.permissions import HasDeclaredScopes
from plum.api.scopes import AUTHENTICATED

logger = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


def _config() -> dict:
    return settings.PLUM_GRAPHQL


class PlumGraphQLView(GraphQLView):
    """graphene-django's view, accepting single operations and capped batches on one URL."""

    def __init__(self, **kwargs):
        config = _config()
        rules = [
            *specified_rules,  # keep graphql-core's own rules: unknown fields must stay errors
            depth_limit_validator(max_depth=config["MAX_DEPTH"]),
            max_aliases_rule(config["MAX_ALIASES"]),
            max_cost_rule(config["MAX_COST"]),
        ]
        if not config["INTROSPECTION"]:
            rules.append(NoIntrospection)
        super().__init__(
            validation_rules=tuple(rules),
            graphiql=config["GRAPHIQL"],
            middleware=[ScopeMiddleware()],
            **kwargs,
        )

    def parse_body(self, request):
        if self.get_content_type(request) != "application/json":
            return super().parse_body(request)
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise HttpError(_bad_request("The body is not valid JSON.")) from None
        if isinstance(data, list):
            limit = _config()["MAX_BATCH"]
            if not data or len(data) > limit or not all(isinstance(d, dict) for d in data):
                raise HttpError(_bad_request(f"A batch holds 1 to {limit} operations."))
        elif not isinstance(data, dict):
            raise HttpError(_bad_request("The body must be a JSON object or a list of them."))
        return data

    def dispatch(self, request, *args, **kwargs):
        try:
            data = self.parse_body(request) if request.method == "POST" else None
        except HttpError as exc:
            return exc.response
        if not isinstance(data, list):
            return super().dispatch(request, *args, **kwargs)
        results = [self.get_response(request, entry) for entry in data]
        body = "[" + ",".join(r[0] for r in results) + "]"
        return HttpResponse(body, status=max(r[1] for r in results), content_type="application/json")

    @staticmethod
    def format_error(error):
        formatted = GraphQLView.format_error(error)
        if not isinstance(error, GraphQLError):
            return formatted
        extensions = formatted.setdefault("extensions", {})
        original = error.original_error
        if "code" in extensions:
            pass
        elif not error.path:
            extensions["code"] = "graphql_validation_failed"
        elif original is not None and not isinstance(original, (GraphQLError, ValueError)):
            logger.error("GraphQL resolver failed", exc_info=original)
            formatted["message"] = "Internal error; it has been logged."
            extensions["code"] = "internal_error"
        else:
            extensions["code"] = "bad_request"
        if not _config()["INTROSPECTION"]:
            formatted["message"] = _SUGGESTION.sub("", formatted["message"])
        return formatted


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(
        json.dumps({"errors": [{"message": message, "extensions": {"code": "bad_request"}}]}),
        status=400,
        content_type="application/json",
    )


class GraphQLEndpoint(APIView):
    """Authenticates with the API's bearer tokens, then hands the Django request to graphene."""

    required_scopes = {"get": AUTHENTICATED, "post": AUTHENTICATED}
    schema = None  # documented by schema.graphql, not OpenAPI
    permission_classes = [HasDeclaredScopes]
    _graphql_view = None

    @classmethod
    def graphql_view(cls):
        if cls._graphql_view is None:
            cls._graphql_view = PlumGraphQLView.as_view()
        return cls._graphql_view

    def initial(self, request, *args, **kwargs):
        check_body_size(request, DEFAULT_MAX_BODY_BYTES)
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request):
        if self._is_graphiql_page(request):
            return  # the page itself is public; its queries carry a token like any other
        super().check_permissions(request)

    def _is_graphiql_page(self, request) -> bool:
        return (
            request.method == "GET"
            and _config()["GRAPHIQL"]
            and "query" not in request.GET
            and PlumGraphQLView.request_wants_html(request._request)
        )

    def get(self, request):
        return self._execute(request)

    def post(self, request):
        return self._execute(request)

    def _execute(self, request):
        django_request = request._request
        django_request.plum_principal = request.user
        return self.graphql_view()(django_request)
