"""Reads of hook endpoints and their receipts, and the one document every door shows of an endpoint."""

from uuid import UUID

from django.db.models import QuerySet

from integrations.events.models import HookEndpoint, HookReceipt
from plum.core.actor import Actor


def hook_endpoint_url(endpoint: HookEndpoint) -> str:
    """Where the sender posts (the path, on the address Plum is served at)."""
    return f"/hooks/{endpoint.endpoint_key}/"


def hook_endpoint_document(endpoint: HookEndpoint, *, secret: str | None = None) -> dict:
    """{id, name, url, mapping, active}; with `secret` only in the answer that made it (creation, rotation)."""
    document = {
        "id": str(endpoint.id),
        "name": endpoint.name,
        "url": hook_endpoint_url(endpoint),
        "mapping": endpoint.mapping,
        "active": endpoint.active,
    }
    if secret is not None:
        document["secret"] = secret
    return document


def hook_endpoint_list(*, actor: Actor) -> QuerySet[HookEndpoint]:
    return HookEndpoint.objects.filter(organisation_id=actor.organisation_id)


def hook_endpoint_find(*, actor: Actor, endpoint_id: UUID | str) -> HookEndpoint | None:
    """The organisation's endpoint, or None (another organisation's is none too)."""
    return hook_endpoint_list(actor=actor).filter(id=endpoint_id).first()


def hook_endpoint_admin_list() -> QuerySet[HookEndpoint]:
    return HookEndpoint.objects.select_related("organisation")


def hook_receipt_admin_list() -> QuerySet[HookReceipt]:
    return HookReceipt.objects.select_related("endpoint", "event", "endpoint__organisation")
