"""/graphql/: DRF authentication, throttling and body limits in front of graphene-django's executor."""

import json
import logging
import re

from django.conf import settings
from django.http import HttpResponse
from graphene_django.settings import graphene_settings
from graphene_django.views import GraphQLView, HttpError
from graphql import GraphQLError
from graphql.validation import specified_rules
from rest_framework.views import APIView

from plum.api.graphql.execution import PlumExecutionContext
from plum.api.graphql.limits import NoIntrospection, max_aliases_rule, max_cost_rule, max_depth_rule
from plum.api.graphql.scoping import ScopeMiddleware, StorableArgumentsMiddleware
from plum.api.limits import BULK_MAX_BODY_BYTES, MAX_QUERY_DOCUMENT_CHARS, check_body_size
from plum.api.permissions import HasDeclaredScopes
from plum.api.scopes import AUTHENTICATED
from plum.core.errors import DomainError

logger = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")
HTTP_ERROR_CODES = {400: "bad_request", 405: "method_not_allowed", 413: "payload_too_large"}
INTERNAL_ERROR = "Internal error; it has been logged."


def _config() -> dict:
    return settings.PLUM_GRAPHQL


def validation_rules(config: dict, variables: dict | None) -> tuple:
    """Built per operation from the current settings; the cost rule reads the operation's variables."""
    rules = [
        *specified_rules,  # keep graphql-core's own rules: unknown fields must stay errors
        max_depth_rule(config["MAX_DEPTH"]),
        max_aliases_rule(config["MAX_ALIASES"]),
        max_cost_rule(
            config["MAX_COST"],
            max_page_size=graphene_settings.RELAY_CONNECTION_MAX_LIMIT,
            variables=variables,
        ),
    ]
    if not config["INTROSPECTION"]:
        rules.append(NoIntrospection)
    return tuple(rules)


def bad_request(message: str, status: int = 400) -> HttpError:
    return HttpError(HttpResponse(status=status), message)


class PlumGraphQLView(GraphQLView):
    """graphene-django's view, accepting single operations and capped batches on one URL.

    Django makes one instance per request, so the settings read here apply from the next request on.
    """

    graphiql_template = "graphql/graphiql.html"  # GraphiQL from Plum's static files, not a CDN
    execution_context_class = PlumExecutionContext

    def __init__(self, **kwargs):
        super().__init__(
            graphiql=_config()["GRAPHIQL"], middleware=[ScopeMiddleware(), StorableArgumentsMiddleware()], **kwargs
        )

    def parse_body(self, request):
        if self.get_content_type(request) == "application/graphql":
            try:
                return {"query": request.body.decode("utf-8")}
            except UnicodeDecodeError:
                raise bad_request("The query is not UTF-8 text.") from None
        if self.get_content_type(request) != "application/json":
            return super().parse_body(request)
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise bad_request("The body is not valid JSON.") from None
        if isinstance(data, list):
            limit = _config()["MAX_BATCH"]
            if not data or len(data) > limit or not all(isinstance(d, dict) for d in data):
                raise bad_request(f"A batch holds 1 to {limit} operations.")
        elif not isinstance(data, dict):
            raise bad_request("The body must be a JSON object or a list of them.")
        return data

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        if query is not None and not isinstance(query, str):
            raise bad_request("`query` must be a string.")
        if query is not None and len(query) > MAX_QUERY_DOCUMENT_CHARS:
            limit = MAX_QUERY_DOCUMENT_CHARS
            message = f"The query is {len(query)} characters; at most {limit}: send bulk data as variables."
            raise bad_request(message, status=413)
        if variables is not None and not isinstance(variables, dict):
            raise bad_request("`variables` must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise bad_request("`operationName` must be a string.")
        self.validation_rules = validation_rules(_config(), variables)
        try:
            return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
        except RecursionError:  # validation (a long chain of fragment spreads, say) runs outside format_error
            raise bad_request("The document or its input is nested too deeply.") from None

    def dispatch(self, request, *args, **kwargs):
        try:
            data = self.parse_body(request) if request.method == "POST" else None
        except HttpError as exc:
            return self._error_response(exc)
        if not isinstance(data, list):
            return super().dispatch(request, *args, **kwargs)
        results = [self._batch_entry(request, entry) for entry in data]
        body = "[" + ",".join(r[0] for r in results) + "]"
        return HttpResponse(body, status=max(r[1] for r in results), content_type="application/json")

    def _batch_entry(self, request, entry: dict) -> tuple[str, int]:
        try:
            return self.get_response(request, entry)
        except HttpError as exc:  # one bad entry answers its own error; the others still run
            return json.dumps({"errors": [self.format_error(exc)]}), exc.response.status_code

    def _error_response(self, exc: HttpError) -> HttpResponse:
        body = json.dumps({"errors": [self.format_error(exc)]})
        return HttpResponse(body, status=exc.response.status_code, content_type="application/json")

    @staticmethod
    def format_error(error):
        if isinstance(error, HttpError):
            code = HTTP_ERROR_CODES.get(error.response.status_code, "bad_request")
            return {"message": error.message, "extensions": {"code": code}}
        if isinstance(error, RecursionError) or (  # while parsing: no path; in a resolver it is a bug
            isinstance(getattr(error, "original_error", None), RecursionError) and not error.path
        ):
            return {"message": "The document or its input is nested too deeply.", "extensions": {"code": "bad_request"}}
        if not isinstance(error, GraphQLError):
            logger.error("GraphQL request failed", exc_info=error)
            return {"message": INTERNAL_ERROR, "extensions": {"code": "internal_error"}}
        formatted = GraphQLView.format_error(error)
        extensions = formatted.setdefault("extensions", {})
        original = error.original_error
        # The code says where the error arose, never which exception it was: bad input is refused where
        # it is parsed (validation and variable coercion, before execution, so without a path; argument
        # coercion, execution.py) or by a resolver raising a GraphQLError with its own code (cursors,
        # scopes); a DomainError keeps REST's code. Anything else raised in a resolver is a bug.
        if "code" in extensions:
            pass
        elif isinstance(original, DomainError):
            extensions["code"] = str(original.code)
        elif not error.path:
            extensions["code"] = "graphql_validation_failed"
        else:
            logger.error("GraphQL resolver failed at %s", ".".join(map(str, error.path)), exc_info=original or error)
            return {**formatted, "message": INTERNAL_ERROR, "extensions": {"code": "internal_error"}}
        if not _config()["INTROSPECTION"]:
            formatted["message"] = _SUGGESTION.sub("", formatted["message"])
        return formatted


class GraphQLEndpoint(APIView):
    """Authenticates with the API's bearer tokens, then hands the Django request to graphene."""

    required_scopes = {"get": AUTHENTICATED, "post": AUTHENTICATED}
    schema = None  # documented by schema.graphql, not OpenAPI
    permission_classes = [HasDeclaredScopes]
    _graphql_view = None

    @classmethod
    def graphql_view(cls):
        if cls._graphql_view is None:
            cls._graphql_view = PlumGraphQLView.as_view()  # a view function: each call builds a new view
        return cls._graphql_view

    def initial(self, request, *args, **kwargs):
        check_body_size(request, BULK_MAX_BODY_BYTES)  # pointsBatchCreate's requests, as variables
        super().initial(request, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        # graphene answers JSON or the GraphiQL page itself; a browser's Accept must not get a 406 here.
        return super().perform_content_negotiation(request, force=True)

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
