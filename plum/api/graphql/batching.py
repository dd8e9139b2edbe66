"""Page batching: a field of a node loads its value for every node of the node's page at once.

Execution is depth-first (a node's fields resolve before the next node's), so a resolver cannot wait
for its siblings as a DataLoader would; instead `PlumConnectionField` hands each node of a page the
list of that page, and the first node asked loads the value for all of them. A page of N then costs
the queries of one. A node met outside a connection (`employee(employeeId)`, a mutation's payload)
is a page of its own.
"""

from collections.abc import Callable, Hashable, Iterable

_PAGE = "_graphql_page"
_LOADED = "_graphql_loaded"


def remember_page(nodes: Iterable) -> None:
    page = [n for n in nodes if hasattr(n, "__dict__")]
    for node in page:
        node.__dict__[_PAGE] = page


def page_batched(node, name: str, load_many: Callable[[list], dict[Hashable, object]]):
    """`node`'s value of `name`; `load_many(nodes)` answers {node.pk: value} for a page's nodes."""
    loaded = node.__dict__.setdefault(_LOADED, {})
    if name not in loaded:
        page = [n for n in node.__dict__.get(_PAGE, [node]) if name not in n.__dict__.get(_LOADED, {})]
        values = load_many(page)
        for each in page:
            each.__dict__.setdefault(_LOADED, {})[name] = values.get(each.pk)
    return loaded[name]
