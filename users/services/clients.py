"""API clients: issued by operations staff and commands, each with its organisation's scopes."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from oauth2_provider.models import AbstractApplication

from users.commands import ApiClientCreate, ApiClientUpdate
from users.models import ApiClient, Organisation


@dataclass(frozen=True)
class IssuedClient:
    client: ApiClient
    client_secret: str  # plain text, shown once; only its hash is stored


def api_client_create(*, organisation: Organisation, command: ApiClientCreate) -> IssuedClient:
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        organisation=organisation,
        name=command.name,
        allowed_scopes=command.allowed_scopes,
        client_type=AbstractApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=AbstractApplication.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    return IssuedClient(client=client, client_secret=secret)


def api_client_rotate_secret(*, client: ApiClient) -> IssuedClient:
    """A new secret; tokens issued under the old one are revoked with it."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        client.client_secret = secret
        client.save(update_fields=["client_secret", "updated"])
        client.accesstoken_set.all().delete()
    return IssuedClient(client=client, client_secret=secret)


def api_client_update(*, client: ApiClient, command: ApiClientUpdate) -> ApiClient:
    """Scopes taken away stop working at once, in tokens already issued too (plum.api.auth)."""
    client.name = command.name
    client.allowed_scopes = command.allowed_scopes
    client.is_active = command.is_active
    client.save(update_fields=["name", "allowed_scopes", "is_active", "updated"])
    return client
