"""What a query asks of a field, for resolvers that can skip work nobody will see."""

from graphql.language import FieldNode


def selects(info, field: str) -> bool:
    """Whether the field being resolved selects `field` (camelCase); a fragment counts as yes."""
    for node in info.field_nodes:
        for selection in node.selection_set.selections if node.selection_set else ():
            if not isinstance(selection, FieldNode) or selection.name.value == field:
                return True
    return False
