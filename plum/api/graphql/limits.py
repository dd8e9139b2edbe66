"""Validation rules that bound what one GraphQL document may ask for: aliases, cost, introspection."""

from graphql import GraphQLError, ValidationRule
from graphql.language import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, IntValueNode
from graphql.type import get_named_type

DEFAULT_LIST_SIZE = 100  # what a connection without a literal `first`/`last` is assumed to return


def max_aliases_rule(limit: int) -> type[ValidationRule]:
    class MaxAliases(ValidationRule):
        def __init__(self, context):
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_):
            if node.alias is not None:
                self.count += 1
                if self.count == limit + 1:
                    self.report_error(GraphQLError(f"The query uses more than {limit} aliases.", [node]))

    return MaxAliases


def max_cost_rule(limit: int) -> type[ValidationRule]:
    """Cost = fields resolved, each connection multiplying its children by its page size."""

    class MaxCost(ValidationRule):
        def enter_operation_definition(self, node, *_):
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type}.get(node.operation.value)
            fragments = {
                d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            cost = _selection_cost(node.selection_set, root, fragments, schema, set())
            if cost > limit:
                self.report_error(GraphQLError(f"The query costs {cost}, more than the limit of {limit}.", [node]))

    return MaxCost


def _page_size(node: FieldNode) -> int:
    for arg in node.arguments or ():
        if arg.name.value in ("first", "last") and isinstance(arg.value, IntValueNode):
            return max(int(arg.value.value), 1)
    return DEFAULT_LIST_SIZE


def _selection_cost(selection_set, parent_type, fragments, schema, seen) -> int:
    if selection_set is None or parent_type is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name.startswith("__"):
                continue
            field = getattr(parent_type, "fields", {}).get(name)
            if field is None:
                continue  # unknown fields are reported by the specified rules
            field_type = get_named_type(field.type)
            children = _selection_cost(selection.selection_set, field_type, fragments, schema, seen)
            multiplier = _page_size(selection) if field_type.name.endswith("Connection") else 1
            total += 1 + multiplier * children
        elif isinstance(selection, InlineFragmentNode):
            target = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent_type
            total += _selection_cost(selection.selection_set, target, fragments, schema, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue  # cycles and unknown fragments are reported by the specified rules
            target = schema.get_type(fragment.type_condition.name.value)
            total += _selection_cost(fragment.selection_set, target, fragments, schema, seen | {name})
    return total


class NoIntrospection(ValidationRule):
    """Refuses `__schema` and `__type`; `__typename` stays, clients rely on it."""

    def enter_field(self, node: FieldNode, *_):
        if node.name.value in ("__schema", "__type"):
            self.report_error(GraphQLError("Introspection is disabled.", [node]))
