"""Turn graphene inputs into the plain values services take."""

from enum import Enum

from graphql import Undefined


def plain(value):
    """Graphene input containers hold only the keys the client sent; keep it that way, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not Undefined}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value
