"""Start-up check: every REST view action and GraphQL root field declares its scopes."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from plum.api.permissions import declared_scopes


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def rest_actions():
    """(route, view class, action) for every DRF view reachable from the URLconf."""
    for route, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or not issubclass(cls, APIView):
            continue
        actions = getattr(callback, "actions", None)
        if actions:
            for action in actions.values():
                yield route, cls, action
        else:
            for method in cls.http_method_names:
                if method != "options" and hasattr(cls, method):
                    yield route, cls, method


def undeclared_rest_actions() -> list[str]:
    problems = []
    for route, cls, action in rest_actions():
        view = cls()
        view.action = action
        if declared_scopes(view, action) is None:
            problems.append(f"{route} {cls.__name__}.{action}")
    return problems


def undeclared_graphql_fields() -> list[str]:
    from plum.api.graphql.scoping import undeclared_root_fields
    from plum.schema import schema

    return undeclared_root_fields(schema)


def assert_all_scopes_declared() -> None:
    from django.core.exceptions import ImproperlyConfigured

    problems = undeclared_rest_actions() + undeclared_graphql_fields()
    if problems:
        raise ImproperlyConfigured("These endpoints declare no scopes: " + "; ".join(problems))
