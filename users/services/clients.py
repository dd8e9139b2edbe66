"""API clients: issued by operations staff and commands, each with its organisation's scopes."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, get_access_token_model

from plum.core.errors import DomainError
from users.commands import ApiClientCreate, ApiClientTokenIssue, ApiClientUpdate
from users.errors import UsersErrorCode
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


@dataclass(frozen=True)
class IssuedToken:
    token: str  # plain text, shown once
    scope: str
    expires: datetime


def api_client_issue_token(*, client: ApiClient, command: ApiClientTokenIssue) -> IssuedToken:
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
    get_access_token_model().objects.create(application=client, token=token, scope=scope, expires=expires)
    return IssuedToken(token=token, scope=scope, expires=expires)
