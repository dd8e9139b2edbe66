"""Turn graphene inputs into the plain values services take."""

from enum import Enum

import graphene
from graphql import GraphQLError, IntValueNode, Undefined


def plain(value):
    """Graphene input containers hold only the keys the client sent; keep it that way, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not Undefined}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


class WholeNumber(graphene.Scalar):
    """A whole number of any size; one out of range is refused with the code REST gives."""

    # `Int` stops at 32 bits with a schema error, graphene's `BigInt` turns large values into floats.

    @staticmethod
    def serialize(value):
        return value

    @staticmethod
    def parse_value(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise GraphQLError(f"WholeNumber cannot represent {value!r}.")
        return value

    @staticmethod
    def parse_literal(node, _variables=None):
        return int(node.value) if isinstance(node, IntValueNode) and len(node.value) <= 4000 else Undefined
