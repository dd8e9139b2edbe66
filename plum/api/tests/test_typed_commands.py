"""The typed-command plumbing on its own: Plum's errors from pydantic's, the OpenAPI 3.0 body and the
GraphQL input made from one command."""

import re
from datetime import date
from typing import Annotated, Literal

import graphene
import pytest
from pydantic import Field, field_validator

from plum.api.commands import command_json_schema
from plum.api.graphql.commands import command_arguments, command_input, parse_input
from plum.core.commands import Command, WholeNumber, rule_error, text
from plum.core.errors import ValidationFailed
from plum.core.text import VISIBLE


class Line(Command):
    employee_id: text(8, pattern=r"^[A-Z0-9]+$")
    points: Annotated[WholeNumber, Field(ge=1, le=2**31 - 1)]


class Order(Command):
    """An order of points."""

    code: text(10, strip=True, min_length=1)
    mode: Literal["now", "later"] = "now"
    due: date | None = None
    note: text(20) | None = None
    limit: Annotated[WholeNumber, Field(ge=1, le=100_000, description="At most this many")] = 100_000
    lines: Annotated[list[Line], Field(max_length=2)]

    error_messages = {"code": "1 to 10 characters.", ("mode", "missing"): ("invalid", "Say when.")}


def errors_of(data) -> list[tuple]:
    with pytest.raises(ValidationFailed) as caught:
        Order.parse(data)
    return [(e["field"], e["code"], e["message"]) for e in caught.value.errors]


def test_errors_come_in_plum_words_and_order():
    data = {"limit": True, "\ud800": 1, "code": "x" * 11, "extra": 1, "lines": [{"points": 0, "more": 1}, None]}
    assert errors_of(data) == [
        ("\\ud800", "unknown_field", "Unknown field '\\ud800'."),
        ("extra", "unknown_field", "Unknown field 'extra'."),
        ("limit", "invalid", "Must be a whole number."),
        ("code", "invalid", "1 to 10 characters."),
        ("lines[0].more", "unknown_field", "Unknown field 'more'."),
        ("lines[0].points", "invalid", "At least 1."),
        ("lines[0].employee_id", "required", "This field is required."),
        ("lines[1]", "invalid", "Must be an object."),
    ]


def test_a_trimmed_required_text_of_whitespace_alone_is_refused_as_its_schema_says():
    for blank in (" ", "\x0b", "\t\n"):
        assert errors_of({"code": blank, "lines": []}) == [("code", "invalid", "1 to 10 characters.")]
        assert re.search(command_json_schema(Order)["properties"]["code"]["pattern"], blank) is None
    assert Order.parse({"code": " A1 ", "lines": []}).code == "A1"


def test_null_nul_and_a_rule_of_the_app():
    assert errors_of({"code": None, "note": "a\x00", "lines": []}) == [
        ("code", "required", "May not be null."),
        ("note", "invalid", "Contains a NUL character or an unpaired surrogate."),
    ]

    class Checked(Command):
        points: WholeNumber

        @field_validator("points")
        @classmethod
        def _few(cls, points):
            if points > 10:
                raise rule_error("points_out_of_range", "At most 10 here.")
            return points

    for points, error in (
        ("1", ("invalid", "Must be a whole number.")),
        (11, ("points_out_of_range", "At most 10 here.")),
    ):
        with pytest.raises(ValidationFailed) as caught:
            Checked.parse({"points": points})
        assert [(e["code"], e["message"]) for e in caught.value.errors] == [error]


def test_given_holds_only_what_was_sent():
    order = Order.parse({"code": " A1 ", "lines": [{"employee_id": "E1", "points": 5}]})
    assert order.code == "A1" and order.mode == "now"
    assert set(order.given()) == {"code", "lines"}


def test_the_openapi_body_is_what_the_command_validates():
    schema = command_json_schema(Order)
    properties = schema["properties"]
    assert schema["required"] == ["code", "lines"] and schema["additionalProperties"] is False
    # trimmed and required: the schema asks for a visible character, as the parse does
    assert properties["code"] == {"maxLength": 10, "minLength": 1, "pattern": VISIBLE, "type": "string"}
    assert properties["limit"] == {
        "default": 100_000,
        "description": "At most this many",
        "maximum": 100_000,
        "minimum": 1,
        "type": "integer",
    }
    assert properties["due"] == {"format": "date", "type": "string", "nullable": True}
    assert properties["mode"] == {"default": "now", "enum": ["now", "later"], "type": "string"}
    assert properties["lines"]["items"] == {"$ref": "#/components/schemas/Line"}
    assert schema["$defs"]["Line"]["properties"]["employee_id"]["pattern"] == "^[A-Z0-9]+$"


def test_the_graphql_input_has_the_commands_fields_and_parses_back():
    class Query(graphene.ObjectType):
        order = graphene.String(input=command_input(Order, "TypedOrderInput")(required=True))

        def resolve_order(root, info, input):
            return parse_input(Order, input).model_dump_json()

    schema = graphene.Schema(query=Query)
    printed = str(schema)
    for line in ("code: String!", "mode: String", "due: Date", "limit: Int", "lines: [LineInput!]!"):
        assert line in printed
    assert '"""At most this many"""' in printed
    query = '{ order(input: {code: "A", due: "2024-01-02", lines: [{employeeId: "E1", points: 2}]}) }'
    result = schema.execute(query)
    assert result.errors is None
    assert '"due":"2024-01-02"' in result.data["order"] and '"employee_id":"E1"' in result.data["order"]
    assert set(command_arguments(Order, exclude=("lines",))) == {"code", "mode", "due", "note", "limit"}
