"""Execution: a field's arguments that cannot be coerced are the client's error, not the server's; and
plain leaf fields below the root are completed directly.

Validation catches almost every bad argument before execution, but not all: a variable with a default
that the client sends as an explicit null, used where a non-null value is needed, is only found when
graphql-core coerces the field's arguments, inside execution. Left alone it would look like any failure
of a resolver (an internal error); here it is reported as `bad_request`, decided where it is parsed.
"""

from functools import partial
from weakref import WeakKeyDictionary

from graphene.types.resolver import dict_or_attr_resolver
from graphql import (
    ExecutionContext,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    located_error,
)
from graphql.execution.execute import get_field_def
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path

# A plain leaf: graphene's default resolver (a key or attribute of the parent) returning a scalar or enum.
# Completing one through graphql-core costs a resolve-info tuple, argument coercion, the middleware chain
# and four dispatching calls; a page of 100 rows of 6 such fields is most of a report's time.
_PLAIN_LEAVES: WeakKeyDictionary[GraphQLSchema, dict[str, dict]] = WeakKeyDictionary()
_SLOW = object()


def plain_leaves(schema: GraphQLSchema, parent_type: GraphQLObjectType) -> dict:
    """{field name: (resolver, leaf type, nullable)} of `parent_type`'s plain leaf fields."""
    by_type = _PLAIN_LEAVES.setdefault(schema, {})
    leaves = by_type.get(parent_type.name)
    if leaves is None:
        leaves = by_type[parent_type.name] = {
            name: (field.resolve, get_nullable_type(field.type), not is_non_null_type(field.type))
            for name, field in parent_type.fields.items()
            if not field.args
            and is_leaf_type(get_nullable_type(field.type))
            and isinstance(field.resolve, partial)
            and field.resolve.func is dict_or_attr_resolver
        }
    return leaves


def complete_plain_leaf(leaf: tuple, source) -> object:
    """The field's serialised value, or _SLOW for anything but the plain case (null where null is not
    allowed, a value the type refuses, an error): graphql-core then completes it and reports it its way."""
    resolve, leaf_type, nullable = leaf
    try:
        value = resolve(source, None)
        if value is None:
            return None if nullable else _SLOW
        serialised = leaf_type.serialize(value)
    except Exception:  # noqa: BLE001 - graphql-core resolves it again and reports the error
        return _SLOW
    return _SLOW if serialised is None or serialised is Undefined else serialised


class PlumExecutionContext(ExecutionContext):
    def execute_fields(self, parent_type, source_value, path, fields):
        """Below the root (Plum's middleware acts on root fields only), plain leaves take the short way."""
        if path is None:
            return super().execute_fields(parent_type, source_value, path, fields)
        leaves = plain_leaves(self.schema, parent_type)
        results = {}
        for response_name, field_nodes in fields.items():
            leaf = leaves.get(field_nodes[0].name.value)
            if leaf is not None and not field_nodes[0].arguments:
                value = complete_plain_leaf(leaf, source_value)
                if value is not _SLOW:
                    results[response_name] = value
                    continue
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, parent_type.name)
            )
            if self.is_awaitable(result):
                raise TypeError("Plum's resolvers are synchronous; an awaitable reached the executor")
            if result is not Undefined:
                results[response_name] = result
        return results

    def execute_field(self, parent_type, source, field_nodes, path):
        # only arguments written in the document can fail here (validation saw the required ones given)
        field_def = get_field_def(self.schema, parent_type, field_nodes[0]) if field_nodes[0].arguments else None
        if field_def is not None and field_def.args:
            try:  # coerced again by graphql-core below: cheap, and only for fields with arguments
                get_argument_values(field_def, field_nodes[0], self.variable_values)
            except GraphQLError as error:
                refused = GraphQLError(error.message, error.nodes, extensions={"code": "bad_request"})
                self.handle_field_error(located_error(refused, field_nodes, path.as_list()), field_def.type)
                return None
            except Exception:  # noqa: BLE001, S110 - raised again below, where graphql-core handles it
                pass
        return super().execute_field(parent_type, source, field_nodes, path)
