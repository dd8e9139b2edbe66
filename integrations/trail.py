"""What the integrations apps tell the audit trail (plum.core.audit makes the values JSON): one entry per
call about the object it names or creates, never a secret, credential or token (a field holding one is
left out here, whatever the kernel's denylist would also drop)."""

from plum.core import audit
from plum.core.actor import Actor


def values_of(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def record(actor: Actor, action: str, obj_id, changes: dict | None = None) -> None:
    """One entry about the object `action` names (`<object_type>.<verb>`)."""
    object_type = action.rsplit(".", 1)[0]
    audit.record(actor=actor, action=action, object_type=object_type, object_id=str(obj_id), changes=changes)


def record_created(actor: Actor, action: str, obj_id, values: dict) -> None:
    record(actor, action, obj_id, audit.created(values))


def record_changed(actor: Actor, action: str, obj_id, before: dict, after: dict) -> bool:
    """An entry for the fields that changed; none (and False) when nothing did."""
    changes = audit.changes_between(before, after)
    if not changes:
        return False
    record(actor, action, obj_id, changes)
    return True
