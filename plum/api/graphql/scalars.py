"""Scalars shared by every app's GraphQL types.

`GenericScalar` (any JSON value, for `metadata`) refuses input nested deeper than `MAX_JSON_DEPTH`
while it is parsed, so no resolver walks a structure deep enough to exhaust Python's recursion limit.

`DateTime` writes times exactly as REST does; it replaces graphene's `DateTime` everywhere, including
the fields graphene-django makes from model `DateTimeField`s (registered below, so this module must be
imported before any `DjangoObjectType` is built: `plum/api/graphql/__init__.py` does it). A leftover
`graphene.DateTime` would clash with this one by name and stop the schema from building.
"""

from datetime import datetime

import graphene
from django.db import models
from graphene.types import generic
from graphene_django.converter import convert_django_field, get_django_field_description
from graphql import GraphQLError

from plum.core.timefmt import api_time

MAX_JSON_DEPTH = 100


class DateTime(graphene.DateTime):
    """An ISO 8601 date and time with its offset. Answers are in UTC with `Z`, e.g.
    `2026-12-06T23:31:01.123456Z` (microseconds only when there are some), exactly as REST writes them."""

    @staticmethod
    def serialize(value):
        if isinstance(value, str):  # the selectors' documents hold times already written as text
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise GraphQLError(f"DateTime cannot represent value: {value!r}") from None
        if not isinstance(value, datetime):
            raise GraphQLError(f"DateTime cannot represent value: {value!r}")
        return api_time(value)


@convert_django_field.register(models.DateTimeField)
def convert_datetime_field(field, registry=None):
    return DateTime(description=get_django_field_description(field), required=not field.null)


def _check_depth(value):
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                message = f"JSON input is nested more than {MAX_JSON_DEPTH} levels deep."
                raise GraphQLError(message, extensions={"code": "bad_request"})  # kept through coercion
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value


class GenericScalar(generic.GenericScalar):
    """Any JSON value: a string, boolean, number, list or object, nested at most 100 levels deep."""

    @staticmethod
    def parse_value(value):
        return _check_depth(value)

    @staticmethod
    def parse_literal(ast, _variables=None):
        return _check_depth(generic.GenericScalar.parse_literal(ast, _variables))
