"""Every published input made from a typed command says what the command takes: the OpenAPI request
bodies and the GraphQL inputs have the command's fields, each required exactly when the command needs it.

Both are generated from the commands (plum.api.commands, plum.api.graphql.commands); this checks the
schemas as clients see them, after every hook and hand-written addition.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator
from graphene.utils.str_converters import to_camel_case
from graphql import GraphQLInputObjectType, GraphQLNonNull

from plum.api.commands import DOCUMENTED_COMMANDS
from plum.api.graphql.commands import COMMAND_INPUTS
from plum.schema import schema as graphql_schema


def command_shape(command, exclude=(), name=str) -> dict[str, bool]:
    """field name -> required, as the command parses (or as it declares for its schema: a field it parses
    as optional only to word the error itself, like the redeem code)."""
    declared = set((command.model_config.get("json_schema_extra") or {}).get("required", ()))
    return {
        name(field): info.is_required() or field in declared
        for field, info in command.model_fields.items()
        if field not in exclude
    }


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def request_bodies(openapi) -> dict[str, dict]:
    """component name -> schema, for each request body of an operation."""
    components = openapi["components"]["schemas"]
    found = {}
    for path in openapi["paths"].values():
        for operation in path.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media["schema"].get("$ref", "")
                if ref:
                    name = ref.rsplit("/", 1)[-1]
                    found[name] = components[name]
    return found


def test_openapi_request_bodies_have_their_commands_fields(openapi):
    bodies = request_bodies(openapi)
    documented = {name: command for name, command in DOCUMENTED_COMMANDS.items() if name in bodies}
    assert documented, "no request body is documented from a command"
    for name, command in documented.items():
        body = bodies[name]
        shape = {field: field in body.get("required", ()) for field in body["properties"]}
        assert shape == command_shape(command), name
        assert body.get("additionalProperties") is False, name  # an unknown field is refused


def graphql_inputs():
    """(input type name, command, fields the door fills itself) for every input made from a command."""
    inputs = []
    for name, graphql_type in graphql_schema.graphql_schema.type_map.items():
        if not isinstance(graphql_type, GraphQLInputObjectType):
            continue
        graphene_type = getattr(graphql_type, "graphene_type", None)
        command = getattr(graphene_type, "__command__", None)
        if command is not None:
            inputs.append((name, command, graphene_type.__command_excludes__))
        elif name in COMMAND_INPUTS:
            inputs.append((name, COMMAND_INPUTS[name], ()))
    return inputs


def test_graphql_inputs_have_their_commands_fields():
    inputs = graphql_inputs()
    assert inputs, "no GraphQL input is made from a command"
    for name, command, excluded in inputs:
        graphql_type = graphql_schema.graphql_schema.get_type(name)
        shape = {
            field: isinstance(value.type, GraphQLNonNull)
            for field, value in graphql_type.fields.items()
            if field != "clientMutationId"
        }
        assert shape == command_shape(command, excluded, to_camel_case), name
