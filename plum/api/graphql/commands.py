"""GraphQL inputs from typed commands: the same fields, required-ness and descriptions as the command,
named in camelCase by graphene, so a mutation's input cannot drift from what the service takes.

    class EmployeeCreate(BaseMutation):
        Input = command_fields(commands.EmployeeCreate, types={"status": EmployeeStatus})

        @classmethod
        def perform(cls, info, **data):
            command = parse_input(commands.EmployeeCreate, data)

Graphene hands the resolver snake_case keys (the command's own names); `parse_input` drops what the
client left out and calls `Command.parse`, so a GraphQL error reads exactly as REST's.
"""

import datetime
import decimal
import enum
import types as pytypes
import typing
import uuid

import graphene

from plum.api.graphql.inputs import plain
from plum.api.graphql.scalars import DateTime
from plum.core.commands import Command

_SCALARS = {
    str: graphene.String,
    bool: graphene.Boolean,
    int: graphene.Int,
    float: graphene.Float,
    decimal.Decimal: graphene.Decimal,
    datetime.date: graphene.Date,
    datetime.datetime: DateTime,
    uuid.UUID: graphene.UUID,
}
# named input type -> command, for every input made here (a mutation's `Input` carries `__command__`);
# tests/test_command_schemas.py reads both
COMMAND_INPUTS: dict[str, type[Command]] = {}
_INPUT_TYPES: dict[str | type, type[graphene.InputObjectType]] = {}  # by name and by command
_ENUMS: dict[type, type[graphene.Enum]] = {}


def command_arguments(command: type[Command], *, types: dict | None = None, exclude=()) -> dict:
    """The command's fields as graphene arguments or input fields, by snake_case name.

    `types` names a graphene type for a field where the Python one is not enough (an enum already in
    the schema under its own name, `WholeNumber` for points); `exclude` leaves out fields a mutation
    fills itself (the actor's organisation, an id from the path)."""
    types = types or {}
    fields = {}
    for name, info in command.model_fields.items():
        if name in exclude:
            continue
        graphene_type = types.get(name) or _graphene_type(info.annotation, types)
        fields[name] = graphene_type(required=info.is_required(), description=info.description)
    return fields


def command_fields(command: type[Command], *, types: dict | None = None, exclude=()):
    """A mutation's `Input` class (for `BaseMutation`) holding the command's fields."""
    fields = command_arguments(command, types=types, exclude=exclude)
    return type("Input", (), {**fields, "__command__": command, "__command_excludes__": tuple(exclude)})


def command_input(
    command: type[Command], name: str, *, types: dict | None = None, exclude=()
) -> type[graphene.InputObjectType]:
    """A named InputObjectType holding the command's fields (made once per name)."""
    if name not in _INPUT_TYPES:
        fields = command_arguments(command, types=types, exclude=exclude)
        doc = {"__doc__": command.__doc__} if command.__doc__ else {}
        _INPUT_TYPES[name] = type(name, (graphene.InputObjectType,), {**fields, **doc})
        _INPUT_TYPES.setdefault(command, _INPUT_TYPES[name])  # where another command nests this one
        COMMAND_INPUTS[name] = command
    return _INPUT_TYPES[name]


def parse_input(command: type[Command], data: dict, **extra):
    """The command from a mutation's input (what the client sent, plus `extra` the door fills)."""
    return command.parse({**plain(data), **extra})


def _graphene_type(annotation, overrides: dict):
    """An unmounted graphene type for a Python annotation (Optional unwrapped, lists of non-null items)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _graphene_type(typing.get_args(annotation)[0], overrides)
    if origin in (typing.Union, pytypes.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return _graphene_type(options[0], overrides)
    if origin in (list, tuple, frozenset, set):
        item = _graphene_type(typing.get_args(annotation)[0], overrides)
        return lambda **kw: graphene.List(graphene.NonNull(item), **kw)
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        if all(isinstance(value, str) for value in values):
            return graphene.String
    if isinstance(annotation, type):
        if issubclass(annotation, Command):
            named = _INPUT_TYPES.get(annotation)
            return named or command_input(annotation, f"{annotation.__name__}Input", types=overrides)
        if issubclass(annotation, enum.Enum):
            if annotation not in _ENUMS:
                _ENUMS[annotation] = graphene.Enum.from_enum(annotation)
            return _ENUMS[annotation]
        if annotation in _SCALARS:
            return _SCALARS[annotation]
        for python_type, scalar in _SCALARS.items():  # a subclass of str or int (a StrEnum is an Enum above)
            if issubclass(annotation, python_type):
                return scalar
    raise TypeError(f"No GraphQL type for {annotation!r}: pass one in `types`")
