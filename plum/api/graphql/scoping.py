"""Scopes for GraphQL root fields: queries register theirs here, mutations declare `Meta.scopes`.

A root field without a declaration is refused at run time and reported by the start-up check.
"""

from graphql import GraphQLError, get_named_type

from plum.api.scopes import Scope
from plum.core.text import storable_json

QUERY_SCOPES: dict[str, tuple[str, ...]] = {}
MUTATION_SCOPES: dict[str, tuple[str, ...]] = {}  # by payload type name


def register_query_scopes(fields: dict[str, Scope | tuple[Scope, ...]]) -> None:
    for name, scopes in fields.items():
        QUERY_SCOPES[name] = (scopes,) if isinstance(scopes, str) else tuple(scopes)


def scopes_for_root_field(info) -> tuple[str, ...] | None:
    if info.operation.operation.value == "mutation":
        return MUTATION_SCOPES.get(get_named_type(info.return_type).name)
    return QUERY_SCOPES.get(info.field_name)


def permission_error(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "insufficient_scope"})


def require_scopes(info, *scopes: str) -> None:
    """For a field below the root that shows another app's data (Employee.wallet): its own scopes."""
    from plum.api.auth import actor_of

    missing = [s for s in scopes if s not in actor_of(info).scopes]
    if missing:
        raise permission_error(f"The token lacks the scope {' '.join(missing)}.")


class ScopeMiddleware:
    """Checks the scopes of every root field before it resolves; deeper fields pass straight through."""

    def resolve(self, next_, root, info, **kwargs):
        if info.path.prev is None and not info.field_name.startswith("__"):
            from plum.api.auth import actor_of

            scopes = scopes_for_root_field(info)
            if scopes is None:
                raise permission_error(f"{info.field_name} declares no scopes and is closed.")
            missing = [s for s in scopes if s not in actor_of(info).scopes]
            if missing:
                raise permission_error(f"The token lacks the scope {' '.join(missing)}.")
        return next_(root, info, **kwargs)


class StorableArgumentsMiddleware:
    """A query's root arguments go to lookups and filters: text PostgreSQL cannot hold (NUL, unpaired
    surrogates) is a bad request there, as in REST. Mutations check their input and answer typed errors."""

    def resolve(self, next_, root, info, **kwargs):
        if info.path.prev is None and info.operation.operation.value == "query" and not storable_json(kwargs):
            raise GraphQLError(
                "Arguments cannot hold NUL characters or unpaired surrogates.", extensions={"code": "bad_request"}
            )
        return next_(root, info, **kwargs)


def undeclared_root_fields(schema) -> list[str]:
    graphql_schema = schema.graphql_schema
    problems = [f"Query.{name}" for name in graphql_schema.query_type.fields if name not in QUERY_SCOPES]
    if graphql_schema.mutation_type:
        for name, field in graphql_schema.mutation_type.fields.items():
            payload = getattr(field.type, "of_type", field.type)
            if payload.name not in MUTATION_SCOPES:
                problems.append(f"Mutation.{name}")
    return problems
