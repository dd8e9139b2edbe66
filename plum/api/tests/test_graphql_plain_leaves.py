"""Plain leaves below the root are completed directly, and answer exactly what graphql-core answers."""

import graphene
from graphql import ExecutionContext

from plum.api.graphql.execution import PlumExecutionContext, plain_leaves


class Row(graphene.ObjectType):
    name = graphene.String(required=True)
    count = graphene.Int()
    size = graphene.Int(required=True)  # Int refuses more than 32 bits
    shout = graphene.String()
    labelled = graphene.String(prefix=graphene.String())

    def resolve_shout(root, info):
        return root["name"].upper()

    def resolve_labelled(root, info, prefix="#"):
        return prefix + root["name"]


class Query(graphene.ObjectType):
    rows = graphene.List(Row)
    strict_rows = graphene.List(graphene.NonNull(Row))

    def resolve_rows(root, info):
        return ROWS

    def resolve_strict_rows(root, info):
        return ROWS


ROWS = [
    {"name": "ann", "count": 1, "size": 7},
    {"name": None, "count": None, "size": 8},  # a null where the type allows none
    {"name": "bo", "count": 2, "size": 2**40},  # a value Int cannot serialise
    {"name": "cy", "count": "three", "size": 9},  # a value Int refuses
]
SCHEMA = graphene.Schema(query=Query)


def answer(document: str, context_class) -> tuple:
    result = SCHEMA.execute(document, execution_context_class=context_class)
    return result.data, sorted((e.message, tuple(e.path)) for e in result.errors or ())


def test_only_default_resolved_scalars_without_arguments_are_plain():
    row_type = SCHEMA.graphql_schema.get_type("Row")
    assert sorted(plain_leaves(SCHEMA.graphql_schema, row_type)) == ["count", "name", "size"]


def test_every_row_answers_what_graphql_core_answers():
    for document in (
        "{ rows { name count size shout } }",
        "{ strictRows { name count } }",
        '{ rows { n: name c: count name labelled(prefix: "@") } }',
        "{ rows { ... on Row { name size } } }",
        "{ rows { name @skip(if: true) count @include(if: false) size } }",
    ):
        plum, core = answer(document, PlumExecutionContext), answer(document, ExecutionContext)
        assert plum == core, document


def test_the_good_rows_and_the_errors_of_the_bad_ones():
    data, errors = answer("{ rows { name count } }", PlumExecutionContext)
    assert data == {
        "rows": [{"name": "ann", "count": 1}, None, {"name": "bo", "count": 2}, {"name": "cy", "count": None}]
    }
    assert [path for _, path in errors] == [("rows", 1, "name"), ("rows", 3, "count")]
