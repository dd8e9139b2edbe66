"""A search at the root of the SCIM service (POST /.search): Users, then Groups, as one list."""

from integrations.scim.selectors.groups import group_page
from integrations.scim.selectors.users import user_page
from plum.core.actor import Actor


def root_page(*, actor: Actor, node, start_index: int, count: int):
    """(totalResults, the page's identities, the page's groups): users first, then groups, each in their
    own order; an attribute only one of them has is false on the other (RFC 7644 §3.4.2.1)."""
    users_total, _ = user_page(actor=actor, node=node, start_index=1, count=0, searching_groups_too=True)
    groups_total, _ = group_page(actor=actor, node=node, start_index=1, count=0, searching_users_too=True)
    offset = start_index - 1
    users_count = max(0, min(count, users_total - offset))
    _, identities = user_page(
        actor=actor, node=node, start_index=start_index, count=users_count, searching_groups_too=True
    )
    groups_offset = max(0, offset - users_total)
    _, groups = group_page(
        actor=actor, node=node, start_index=groups_offset + 1, count=count - users_count, searching_users_too=True
    )
    return users_total + groups_total, identities, groups
