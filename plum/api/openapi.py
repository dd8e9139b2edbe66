"""OpenAPI helpers: filter parameters from a FilterSet, scopes and the problem+json shape in the schema."""

import django_filters
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from plum.api import commands  # noqa: F401  (registers the typed commands' request-body extension)
from plum.api.idempotency import MAX_KEY_LENGTH
from plum.api.scopes import AUTHENTICATED, PUBLIC, SCOPE_DESCRIPTIONS

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string", "example": "urn:plum:error:employee_not_found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
ERROR_STATUSES = {
    "400": "Malformed request or invalid fields",
    "401": "No token, or an invalid or expired one",
    "403": "The token lacks a scope this call needs",
    "404": "Not found, or not in your organisation",
    "429": "Throttled; see Retry-After",
}


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, _filter_schema(f), description=f"Filter on {name.replace('_', ' ')}")
        for name, f in filterset_class.base_filters.items()
    ]


def _filter_schema(query_filter) -> dict:
    """What the filter's form field takes (anything else is a 400): a choice, a UUID, a time, or text."""
    if isinstance(query_filter, django_filters.ChoiceFilter):
        return {"type": "string", "enum": [value for value, _ in query_filter.extra["choices"]]}
    if isinstance(query_filter, django_filters.UUIDFilter):
        return {"type": "string", "format": "uuid"}
    if isinstance(query_filter, django_filters.IsoDateTimeFilter):
        return {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with its offset, years 1 to 9999 in UTC",
        }
    return {"type": "string"}


def add_scopes_and_problem_schema(result, generator, request, public):
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    oauth = components["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    oauth["scopes"] = {s.value: d for s, d in SCOPE_DESCRIPTIONS.items()}
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": description, "content": problem_ref})
    return result


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    # what plum.api.idempotency takes is wider (any printable text); without spaces none is lost in transit
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x21-\\x7e]+$"},
    OpenApiParameter.HEADER,
    description=f"Up to {MAX_KEY_LENGTH} characters. Repeating it with the same body replays the first answer "
    "(header Idempotent-Replayed: true); with another body answers 422 idempotency_key_reused; "
    "while the first request runs answers 409 request_in_progress. Kept at least 24 hours.",
)


class PlumAutoSchema(AutoSchema):
    """Each operation lists the OAuth2 scopes its view declares, and the Idempotency-Key header if it takes one."""

    def get_override_parameters(self):
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        extra = [IDEMPOTENCY_HEADER] if getattr(handler, "idempotent", False) else []
        return [*super().get_override_parameters(), *extra]

    def get_auth(self):
        from plum.api.permissions import declared_scopes

        action = getattr(self.view, "action", None) or self.method.lower()
        scopes = declared_scopes(self.view, action) or ()
        if scopes in ((PUBLIC,),):
            return []
        return [{"oauth2": [s for s in scopes if s != AUTHENTICATED]}]


def problems(**by_status: str) -> dict:
    """Business errors of one operation, by status (`_409="request_id_conflict"`), as problem+json."""
    return {
        (int(key.lstrip("_")), "application/problem+json"): OpenApiResponse(
            {"$ref": "#/components/schemas/Problem"}, description=f"`code`: {codes}"
        )
        for key, codes in by_status.items()
    }


_ENUM_FIELDS: dict[str, type] = {}


def enum_field(component: str, choices, **options) -> serializers.ChoiceField:
    """A choice field documented as its own named enum (several `status` fields would collide)."""
    # One class per enum, annotated on the class: serializers deep-copy fields, dropping instance attributes.
    if component not in _ENUM_FIELDS:
        schema = {"type": "string", "enum": [value for value, _ in choices]}
        field_class = type(f"{component}Field", (serializers.ChoiceField,), {})
        _ENUM_FIELDS[component] = extend_schema_field(schema, component_name=component)(field_class)
    return _ENUM_FIELDS[component](choices=choices, **options)
