"""Organisations and API clients: operations staff and commands."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from oauth2_provider.models import AbstractApplication

from plum.core.errors import CoreErrorCode, DomainError, ValidationFailed, field_error
from plum.core.scopes import ALL_SCOPES
from plum.core.text import storable_text
from users.errors import UsersErrorCode
from users.models import ApiClient, Organisation


def organisation_ensure(*, slug: str, name: str) -> tuple[Organisation, bool]:
    return Organisation.objects.get_or_create(slug=slug, defaults={"name": name})


def organisation_update(*, organisation: Organisation, name: str, is_active: bool) -> Organisation:
    """A deactivated organisation's clients can no longer authenticate (see plum.api.auth)."""
    organisation.name = name
    organisation.is_active = is_active
    organisation.save(update_fields=["name", "is_active"])
    return organisation


@dataclass(frozen=True)
class IssuedClient:
    client: ApiClient
    client_secret: str  # plain text, shown once; only its hash is stored


def _check_scopes(scopes) -> list[str]:
    if not scopes:
        raise DomainError(UsersErrorCode.INVALID_SCOPE, "A client needs at least one scope.", field="allowed_scopes")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise DomainError(
            UsersErrorCode.INVALID_SCOPE, f"Unknown scopes: {', '.join(unknown)}.", field="allowed_scopes"
        )
    return sorted(set(scopes))


def _check_name(name) -> str:
    limit = ApiClient._meta.get_field("name").max_length
    if not isinstance(name, str) or not name.strip() or len(name) > limit or not storable_text(name):
        raise ValidationFailed([field_error("name", CoreErrorCode.INVALID, f"1 to {limit} characters.")])
    return name.strip()


def api_client_create(*, organisation: Organisation, name: str, scopes) -> IssuedClient:
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        organisation=organisation,
        name=_check_name(name),
        allowed_scopes=_check_scopes(scopes),
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


def api_client_update(*, client: ApiClient, name: str, scopes, is_active: bool) -> ApiClient:
    """Scopes taken away stop working at once, in tokens already issued too (plum.api.auth)."""
    client.name = _check_name(name)
    client.allowed_scopes = _check_scopes(scopes)
    client.is_active = is_active
    client.save(update_fields=["name", "allowed_scopes", "is_active", "updated"])
    return client
