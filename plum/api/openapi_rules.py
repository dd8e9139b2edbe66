"""Rules every request body and page of the API share, stated in the schema.

The apps' input serializers give each field's bounds from the constants their services check; what is
common to all of them is added here, after generation.
"""

from plum.api.pagination import CursorPagination


def state_shared_rules(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        # Every body refuses a field it does not know (400 unknown_field) rather than ignoring a typo.
        if name.endswith("Request") and "properties" in schema:
            schema.setdefault("additionalProperties", False)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody")
            if body and any(_needs_fields(schemas, media.get("schema", {})) for media in body["content"].values()):
                body["required"] = True  # a body with required fields (or one of several shapes) cannot be left out
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") == "query" and parameter.get("name") == CursorPagination.page_size_query_param:
                    parameter["schema"] = {"minimum": 1, **parameter.get("schema", {})}  # larger ones are capped
    return result


def _needs_fields(schemas: dict, schema: dict) -> bool:
    ref = schema.get("$ref", "")
    schema = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return bool(schema.get("required") or schema.get("oneOf"))
