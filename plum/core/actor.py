"""Who is acting. Services take an Actor, never a request: every door builds one."""

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class Actor:
    organisation_id: UUID
    kind: str  # "api_client", "staff" or "system"
    label: str
    client_id: int | None = None
    user_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_key: str | None = None  # the client's public client_id (client_id above is its row's pk)
    name: str = ""  # shown in the audit trail: the client's name (others show their label)

    @classmethod
    def system(cls, organisation_id: UUID, label: str = "system") -> "Actor":
        return cls(organisation_id=organisation_id, kind="system", label=label)

    @classmethod
    def staff(cls, organisation_id: UUID, user_id: int, label: str) -> "Actor":
        return cls(organisation_id=organisation_id, kind="staff", label=label, user_id=user_id)
