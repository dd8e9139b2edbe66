"""Strict query parameters: an action takes only the parameters it documents, each once and well-formed.

A misspelt filter must never answer the whole list: an unknown, repeated or unparsable parameter is a 400
that names it, checked before the view does anything.
"""

from types import SimpleNamespace

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class HeaderContentNegotiation(DefaultContentNegotiation):
    """The Accept header alone picks the answer's media type: `?format=` is no parameter of this API."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


def known_query_parameters(view) -> set[str]:
    """What `view.action` takes: a page's cursor, page_size and filters, and the parameters it documents."""
    known = set(view.query_parameters.get(view.action, ()))
    if view.answers_a_page():
        known |= set(view.paginator.query_parameters)
        if view.filterset_class is not None:
            known |= set(view.filterset_class.base_filters)
    return known


def check_query_parameters(view, request) -> None:
    known = known_query_parameters(view)
    errors: dict[str, list[ErrorDetail]] = {}
    for name in request.query_params:
        if name not in known:
            errors[name] = [ErrorDetail("Unknown query parameter.", code="unknown_parameter")]
        elif len(request.query_params.getlist(name)) > 1:
            errors[name] = [ErrorDetail("Give this parameter once.", code="repeated_parameter")]
    if view.answers_a_page():
        errors |= {k: v for k, v in view.paginator.query_errors(request).items() if k not in errors}
        errors |= {k: v for k, v in _filter_errors(view, request).items() if k not in errors}
    if errors:
        raise ValidationError(errors)


def _filter_errors(view, request) -> dict[str, list[ErrorDetail]]:
    """django-filter's form errors (a bad date, choice or id) by parameter; the selectors check them again."""
    if view.filterset_class is None:
        return {}
    filterset = view.filterset_class(data=request.query_params)
    if filterset.is_valid():
        return {}
    return {name: [ErrorDetail(" ".join(messages), code="invalid")] for name, messages in filterset.errors.items()}
