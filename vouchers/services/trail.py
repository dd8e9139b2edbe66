"""What the vouchers app tells the audit trail: the stored fields of its objects (plum.core.audit makes
them JSON), never a code, PIN or their ciphertext."""

from plum.core import audit
from plum.core.actor import Actor

BRAND_FIELDS = ("name",)
PRODUCT_FIELDS = (
    "brand_id",
    "name",
    "currency",
    "denominations",
    "points_per_unit",
    "validity_days",
    "country",
    "category",
    "source",
    "status",
    "low_stock_threshold",
)


def values_of(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def record(actor: Actor, action: str, obj_id, changes: dict | None = None) -> None:
    """One entry about the object `action` names (`<object_type>.<verb>`)."""
    object_type = action.rsplit(".", 1)[0]
    audit.record(actor=actor, action=action, object_type=object_type, object_id=str(obj_id), changes=changes)


def record_created(actor: Actor, action: str, obj_id, values: dict, counts: dict | None = None) -> None:
    """A create's entry: the stored fields as [null, value], and a bulk job's counts."""
    changes = audit.created(values)
    if counts is not None:
        changes.update(audit.counts(counts))
    record(actor, action, obj_id, changes)


def record_changed(actor: Actor, action: str, obj_id, before: dict, after: dict) -> bool:
    """An entry for the fields that changed; none (and False) when nothing did."""
    changes = audit.changes_between(before, after)
    if not changes:
        return False
    record(actor, action, obj_id, changes)
    return True
