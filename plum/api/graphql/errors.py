"""GraphQL error types generated from the same Python ErrorCode enums that REST renders."""

import graphene

from plum.core.errors import CoreErrorCode, ErrorCode


def error_type(name: str, *enums: type[ErrorCode]) -> type[graphene.ObjectType]:
    """`<name>Error {field, code: <name>ErrorCode!, message!}`; codes are the REST codes, verbatim."""
    members = {}
    for enum in (CoreErrorCode, *enums):
        for member in enum:
            members[member.value] = member.value
    code_enum = graphene.Enum(f"{name}ErrorCode", list(members.items()))
    error = type(
        f"{name}Error",
        (graphene.ObjectType,),
        {
            "__doc__": "A business or validation error; `code` matches the REST problem code.",
            "field": graphene.String(description="The input field at fault, if any."),
            "code": graphene.Field(code_enum, required=True),
            "message": graphene.String(required=True),
        },
    )
    error.code_enum = code_enum  # for other error shapes of the same app (per-record sync errors)
    return error
