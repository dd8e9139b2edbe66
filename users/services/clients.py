"""API clients: issued by operations staff and commands, each with its organisation's scopes."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, get_access_token_model

from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import DomainError
from users.commands import ApiClientCreate, ApiClientTokenIssue, ApiClientUpdate
from users.errors import UsersErrorCode
from users.models import ApiClient, Organisation


@dataclass(frozen=True)
class IssuedClient:
    client: ApiClient
    client_secret: str  # plain text, shown once; only its hash is stored


def _acting(actor: Actor | None, organisation_id) -> Actor:
    """Staff (the admin) or a command name themselves; other callers act as the system."""
    return actor or Actor.system(organisation_id)


def _record(actor: Actor, action: str, client: ApiClient, changes: dict | None = None) -> None:
    audit.record(actor=actor, action=action, object_type="api_client", object_id=client.client_id, changes=changes)


def _audited(client: ApiClient) -> dict:
    return {"name": client.name, "allowed_scopes": list(client.allowed_scopes), "is_active": client.is_active}


def api_client_create(
    *, organisation: Organisation, command: ApiClientCreate, actor: Actor | None = None
) -> IssuedClient:
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            organisation=organisation,
            name=command.name,
            allowed_scopes=command.allowed_scopes,
            client_type=AbstractApplication.CLIENT_CONFIDENTIAL,
            authorization_grant_type=AbstractApplication.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        changes = audit.created({"client_id": client.client_id, **_audited(client)})
        _record(_acting(actor, organisation.id), "api_client.created", client, changes)
    return IssuedClient(client=client, client_secret=secret)


def api_client_rotate_secret(*, client: ApiClient, actor: Actor | None = None) -> IssuedClient:
    """A new secret; tokens issued under the old one are revoked with it."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        client.client_secret = secret
        client.save(update_fields=["client_secret", "updated"])
        revoked, _ = client.accesstoken_set.all().delete()
        changes = audit.counts({"tokens_revoked": revoked})
        _record(_acting(actor, client.organisation_id), "api_client.secret_rotated", client, changes)
    return IssuedClient(client=client, client_secret=secret)


def api_client_update(*, client: ApiClient, command: ApiClientUpdate, actor: Actor | None = None) -> ApiClient:
    """Scopes taken away stop working at once, in tokens already issued too (plum.api.auth). A change that
    changes nothing writes nothing. Compared with the stored row: the admin's form has already set `client`."""
    with transaction.atomic():
        before = _audited(ApiClient.objects.select_for_update().get(pk=client.pk))
        after = {"name": command.name, "allowed_scopes": list(command.allowed_scopes), "is_active": command.is_active}
        changes = audit.changes_between(before, after)
        client.name, client.allowed_scopes, client.is_active = command.name, command.allowed_scopes, command.is_active
        if not changes:
            return client
        client.save(update_fields=["name", "allowed_scopes", "is_active", "updated"])
        action = "api_client.deactivated" if before["is_active"] and not client.is_active else "api_client.updated"
        _record(_acting(actor, client.organisation_id), action, client, changes)
    return client


@dataclass(frozen=True)
class IssuedToken:
    token: str  # plain text, shown once
    scope: str
    expires: datetime


def api_client_issue_token(
    *, client: ApiClient, command: ApiClientTokenIssue, actor: Actor | None = None
) -> IssuedToken:
    """A bearer token valid for `days`, for the scopes asked (each allowed to the client). Like every token
    it stops working when the client or its organisation is disabled, the scope is taken away from the
    client, or the client's secret is rotated."""
    refused = sorted(set(command.scopes) - set(client.allowed_scopes))
    if refused:
        raise DomainError(
            UsersErrorCode.INVALID_SCOPE, f"The client is not allowed: {', '.join(refused)}.", field="scopes"
        )
    token, scope = secrets.token_urlsafe(32), " ".join(command.scopes)
    expires = timezone.now() + timedelta(days=command.days)
    with transaction.atomic():
        get_access_token_model().objects.create(application=client, token=token, scope=scope, expires=expires)
        changes = audit.created({"scope": scope, "expires": expires})
        _record(_acting(actor, client.organisation_id), "api_client.token_issued", client, changes)
    return IssuedToken(token=token, scope=scope, expires=expires)
