"""Rules every request body and page of the API share, stated in the schema.

The apps' input serializers give each field's bounds from the constants their services check; what is
common to all of them is added here, after generation.
"""

from plum.api.pagination import CursorPagination

# plum.api.idempotency: the key sent again while its first request runs, or reused with another body
IDEMPOTENCY_PROBLEMS = {"409": "request_in_progress", "422": "idempotency_key_reused"}
BODY_PROBLEMS = {"413": "payload_too_large"}  # plum.api.limits, before a byte of the body is read


def state_shared_rules(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        # Every body refuses a field it does not know (400 unknown_field) rather than ignoring a typo.
        if name.endswith("Request") and "properties" in schema:
            schema.setdefault("additionalProperties", False)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            parameters = operation.get("parameters", ())
            if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
                _answers(operation, IDEMPOTENCY_PROBLEMS)
            body = operation.get("requestBody")
            if body:
                _answers(operation, BODY_PROBLEMS)
                if any(_needs_fields(schemas, media.get("schema", {})) for media in body["content"].values()):
                    body["required"] = True  # required fields (or one of several shapes): it cannot be left out
            for parameter in parameters:
                if parameter.get("in") == "query" and parameter.get("name") == CursorPagination.page_size_query_param:
                    parameter["schema"] = {"minimum": 1, **parameter.get("schema", {})}  # larger ones are capped
    return result


def _answers(operation: dict, problems: dict[str, str]) -> None:
    """Add problem codes to the operation's answers ("`code`: a, b"), creating an answer it lacks."""
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status, code in problems.items():
        response = operation["responses"].setdefault(status, {"description": "`code`: ", "content": content})
        if code not in response["description"]:
            joiner = "" if response["description"].endswith("`code`: ") else ", "
            response["description"] += joiner + code


def _needs_fields(schemas: dict, schema: dict) -> bool:
    ref = schema.get("$ref", "")
    schema = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return bool(schema.get("required") or schema.get("oneOf") or schema.get("minProperties"))
