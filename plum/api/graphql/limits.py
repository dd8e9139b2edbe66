"""Validation rules that bound what one GraphQL document may ask for: depth, aliases, cost, introspection.

The depth and cost rules walk each fragment once (memoised), so a small document that spreads
fragments exponentially, refers to an unknown fragment or spreads fragments in a cycle is measured
in linear time; the specified rules report the unknown fragment or the cycle.
"""

from graphql import GraphQLError, ValidationRule
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    VariableNode,
)
from graphql.type import get_named_type


def max_depth_rule(limit: int) -> type[ValidationRule]:
    """Depth counts nested fields below the root field (`{ a { b } }` is 1); introspection is not counted."""

    class MaxDepth(ValidationRule):
        def enter_operation_definition(self, node, *_):
            depth = _Walker(self.context).depth(node.selection_set)
            if depth > limit:
                self.report_error(
                    GraphQLError(f"The query is {depth} levels deep, more than the limit of {limit}.", [node])
                )

    return MaxDepth


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


def max_cost_rule(limit: int, *, max_page_size: int, variables: dict | None = None) -> type[ValidationRule]:
    """Cost = fields resolved, each connection multiplying its children by its page size.

    The page size is `first`/`last` (a literal or a variable of this request), capped at
    `max_page_size`; without either a connection returns `max_page_size` nodes.
    """

    class MaxCost(ValidationRule):
        def enter_operation_definition(self, node, *_):
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type}.get(node.operation.value)
            walker = _Walker(self.context, max_page_size=max_page_size, variables=variables or {})
            cost = walker.cost(node.selection_set, root)
            if cost > limit:
                self.report_error(GraphQLError(f"The query costs {cost}, more than the limit of {limit}.", [node]))

    return MaxCost


class NoIntrospection(ValidationRule):
    """Refuses `__schema` and `__type`; `__typename` stays, clients rely on it."""

    def enter_field(self, node: FieldNode, *_):
        if node.name.value in ("__schema", "__type"):
            self.report_error(GraphQLError("Introspection is disabled.", [node]))


class _Walker:
    """Measures selection sets; each named fragment is measured once and remembered."""

    def __init__(self, context, *, max_page_size: int = 0, variables: dict | None = None):
        self.schema = context.schema
        self.fragments = {
            d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.max_page_size = max_page_size
        self.variables = variables or {}
        self.depths: dict[str, int] = {}
        self.costs: dict[str, int] = {}
        self.open: set[str] = set()  # fragments being measured: a spread of one of them is a cycle

    def _fragment(self, name: str, memo: dict, measure) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0  # unknown fragments and cycles are reported by the specified rules
        self.open.add(name)
        try:
            memo[name] = measure(fragment)
        finally:
            self.open.discard(name)
        return memo[name]

    def depth(self, selection_set) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__") or selection.selection_set is None:
                    continue
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                found = self._fragment(selection.name.value, self.depths, lambda f: self.depth(f.selection_set))
                deepest = max(deepest, found)
        return deepest

    def cost(self, selection_set, parent_type) -> int:
        if selection_set is None or parent_type is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = getattr(parent_type, "fields", {}).get(selection.name.value)
                if selection.name.value.startswith("__") or field is None:
                    continue  # unknown fields are reported by the specified rules
                field_type = get_named_type(field.type)
                children = self.cost(selection.selection_set, field_type)
                multiplier = self._page_size(selection) if field_type.name.endswith("Connection") else 1
                total += 1 + multiplier * children
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent_type
                total += self.cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(
                    selection.name.value,
                    self.costs,
                    lambda f: self.cost(f.selection_set, self.schema.get_type(f.type_condition.name.value)),
                )
        return total

    def _page_size(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value not in ("first", "last"):
                continue
            value = arg.value
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                value = int(value.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(value, 1), self.max_page_size)
        return self.max_page_size
