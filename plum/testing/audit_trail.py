"""Reading the audit trail in tests: the entries a step wrote (after a mark), each as the fields asserted."""

import json

from django.db.models import Max

from plum.core.models import AuditEntry

ASSERTED = ("actor_kind", "actor_id", "action", "object_type", "object_id", "changes")


class Trail:
    """The entries written since it was made."""

    def __init__(self):
        self.mark = AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0

    def entries(self) -> list[AuditEntry]:
        return list(AuditEntry.objects.filter(id__gt=self.mark).order_by("id"))

    def one(self) -> AuditEntry:
        entries = self.entries()
        assert len(entries) == 1, [(e.action, e.object_id) for e in entries]
        return entries[0]

    def assert_none(self) -> None:
        assert [(e.action, e.object_id) for e in self.entries()] == []


def shown(entry: AuditEntry) -> dict:
    return {name: getattr(entry, name) for name in ASSERTED}


def assert_nothing_secret(entry: AuditEntry, *secrets: str) -> None:
    """None of `secrets` anywhere in the entry, in any case (the whole row as JSON)."""
    text = json.dumps(
        {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}, default=str
    ).lower()
    for secret in secrets:
        assert secret and secret.lower() not in text, secret
