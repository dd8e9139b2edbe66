"""OpenAPI request bodies from typed commands: `@extend_schema(request=EmployeeCreate)` documents what
`EmployeeCreate.parse` takes (fields, required, bounds, patterns, defaults), so the schema cannot drift.

drf-spectacular's own pydantic extension describes a model's serialised form (JSON Schema 2020-12);
a request body is what the model validates, in OpenAPI 3.0's dialect (`nullable`, no `null` type).
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from pydantic.json_schema import GenerateJsonSchema

# JSON Schema keywords OpenAPI 3.0 does not take, or that only repeat a field's name
_DROPPED = frozenset({"title", "$schema", "examples"})
# every command documented as a request body, by component name (tests/test_command_schemas.py reads it)
DOCUMENTED_COMMANDS: dict[str, type] = {}


class CommandSchema(OpenApiSerializerExtension):
    target_class = "plum.core.commands.Command"
    match_subclasses = True
    priority = 1  # before drf-spectacular's PydanticExtension, which matches every BaseModel

    def get_name(self, auto_schema, direction):
        # drf-spectacular marks a PATCH body "partial" by setting an attribute on it, here a class: a command
        # that merely inherits the mark from the PATCH command it extends is not partial itself.
        if "partial" not in vars(self.target):
            self.target.partial = False
        return self.target.__name__

    def map_serializer(self, auto_schema, direction):
        schema = command_json_schema(self.target)
        for name, sub_schema in schema.pop("$defs", {}).items():
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=sub_schema)
            auto_schema.registry.register_on_missing(component)
        DOCUMENTED_COMMANDS[f"{self.target.__name__}Request" if direction == "request" else self.target.__name__] = (
            self.target
        )
        return schema


def command_json_schema(command) -> dict:
    """What the command validates, as an OpenAPI 3.0 schema (sub-models under `$defs`)."""
    schema = command.model_json_schema(
        mode="validation", ref_template="#/components/schemas/{model}", schema_generator=GenerateJsonSchema
    )
    return _openapi(schema)


def _openapi(node):
    if isinstance(node, list):
        return [_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key not in _DROPPED}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if options and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            node.pop(key)
            if len(rest) == 1:
                only = rest[0]
                node = {**(only if "$ref" not in only else {"allOf": [only]}), **node, "nullable": True}
            else:
                node = {key: rest, **node, "nullable": True}
    if "default" in node and node["default"] is None:
        node.pop("default")  # what leaving a nullable field out means needs no saying
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("type"), list):  # ["string", "null"]
        types = [kind for kind in node["type"] if kind != "null"]
        node["nullable"] = len(types) < len(node["type"]) or node.get("nullable", False)
        node["type"] = types[0] if len(types) == 1 else node["type"]
    for bound in ("exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(node.get(bound), (int, float)) and not isinstance(node.get(bound), bool):
            node[bound.replace("exclusiveM", "m")] = node[bound]
            node[bound] = True
    return {
        key: (
            {name: _openapi(sub) for name, sub in value.items()}
            if key in ("properties", "$defs", "patternProperties")
            else _openapi(value)
        )
        for key, value in node.items()
    }
