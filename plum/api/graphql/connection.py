"""Relay connections: a total count, and page arguments checked before graphene-django slices."""

import graphene
from graphene import relay
from graphene_django import DjangoConnectionField
from graphql import GraphQLError
from graphql_relay import cursor_to_offset, offset_to_cursor

from plum.api.graphql.batching import remember_page


class CountedConnection(relay.Connection):
    """Relay connection with the total number of matching nodes."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    def resolve_total_count(self, info):
        return self.length


def _bad_argument(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "bad_request"})


class PlumConnectionField(DjangoConnectionField):
    """`first`/`last` above the maximum page size are capped, as REST caps `page_size`.

    graphene-django asserts instead, which would surface as an internal error for bad input.
    Each node of the page learns its page, so its fields can load for the whole page (batching.py).
    """

    @classmethod
    def connection_resolver(
        cls,
        resolver,
        connection,
        default_manager,
        queryset_resolver,
        max_limit,
        enforce_first_or_last,
        root,
        info,
        **args,
    ):
        for name in ("first", "last", "offset"):
            if args.get(name) is not None and args[name] < 0:
                raise _bad_argument(f"`{name}` must be 0 or more.")
        for name in ("after", "before"):
            if args.get(name) is not None:
                offset = cursor_to_offset(args[name])
                # only the text the connection writes: int() would also take " 1", "+1" or "1_0"
                if offset is None or offset < 0 or offset_to_cursor(offset) != args[name]:
                    raise _bad_argument(f"`{name}` is not a cursor this list gave.")
        if args.get("offset") is not None and args.get("before") is not None:
            raise _bad_argument("`offset` and `before` cannot be used together.")
        if max_limit:
            for name in ("first", "last"):
                if args.get(name) is not None:
                    args[name] = min(args[name], max_limit)
        page = super().connection_resolver(
            resolver,
            connection,
            default_manager,
            queryset_resolver,
            max_limit,
            enforce_first_or_last,
            root,
            info,
            **args,
        )
        remember_page(edge.node for edge in page.edges)  # fields of the nodes may load for the whole page
        return page
