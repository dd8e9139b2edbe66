"""Bearer-token authentication for client-credentials tokens, and the Actor every door passes on."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from plum.core.actor import Actor
from plum.core.db import read_first_row


@dataclass(frozen=True)
class ClientPrincipal:
    """Stands in for request.user: client-credentials tokens have no user."""

    actor: Actor

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self):
        return self.actor.client_id


def _token_sql() -> str:
    """One query for token, client and organisation (every call pays it; the ORM's query building was
    half its cost). Table names come from the swappable models, so this package imports no app."""
    token_model = get_access_token_model()
    client_model = get_application_model()
    organisation_model = client_model._meta.get_field("organisation").related_model
    return (
        "SELECT t.expires, t.scope, c.id, c.client_id, c.is_active, c.allowed_scopes, c.organisation_id,"  # noqa: S608 (table names from the models)
        " o.is_active, c.name"
        f" FROM {token_model._meta.db_table} t JOIN {client_model._meta.db_table} c ON c.id = t.application_id"
        f" JOIN {organisation_model._meta.db_table} o ON o.id = c.organisation_id WHERE t.token_checksum = %s"
    )


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"
    _sql: str | None = None

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        checksum = hashlib.sha256(parts[1]).hexdigest()
        if BearerTokenAuthentication._sql is None:
            BearerTokenAuthentication._sql = _token_sql()
        row = read_first_row(self._sql, [checksum])
        if row is None or row[0] <= timezone.now():
            raise exceptions.AuthenticationFailed("The access token is invalid or expired.")
        _, token_scope, client_pk, client_id, client_active, allowed, organisation_id, organisation_active, name = row
        if not client_active or not organisation_active:
            raise exceptions.AuthenticationFailed("The API client is disabled.")
        # A scope the client is no longer allowed is dropped even from tokens issued before.
        actor = Actor(
            organisation_id=organisation_id,
            kind="api_client",
            label=f"client:{client_id}",
            client_id=client_pk,
            scopes=frozenset(token_scope.split()) & frozenset(allowed),
            client_key=client_id,
            name=name,
        )
        return ClientPrincipal(actor), checksum

    def authenticate_header(self, request):
        return 'Bearer realm="plum"'


def actor_of(request) -> Actor:
    """The Actor of an authenticated DRF request or GraphQL `info`."""
    request = getattr(request, "context", request)
    principal = getattr(request, "plum_principal", None) or getattr(request, "user", None)
    if not isinstance(principal, ClientPrincipal):
        raise exceptions.NotAuthenticated()
    return principal.actor
