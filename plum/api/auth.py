"""Bearer-token authentication for client-credentials tokens, and the Actor every door passes on."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from plum.core.actor import Actor


@dataclass(frozen=True)
class ClientPrincipal:
    """Stands in for request.user: client-credentials tokens have no user."""

    actor: Actor

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self):
        return self.actor.client_id


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        token_value = parts[1].decode("latin-1")
        checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
        token = get_access_token_model().objects.select_related("application").filter(token_checksum=checksum).first()
        if token is None or token.expires <= timezone.now():
            raise exceptions.AuthenticationFailed("The access token is invalid or expired.")
        client = token.application
        if client is None or not client.is_active or not client.organisation.is_active:
            raise exceptions.AuthenticationFailed("The API client is disabled.")
        # A scope the client is no longer allowed is dropped even from tokens issued before.
        scopes = frozenset(token.scope.split()) & frozenset(client.allowed_scopes)
        actor = Actor(
            organisation_id=client.organisation_id,
            kind="api_client",
            label=f"client:{client.client_id}",
            client_id=client.pk,
            scopes=scopes,
        )
        return ClientPrincipal(actor), token

    def authenticate_header(self, request):
        return 'Bearer realm="plum"'


def actor_of(request) -> Actor:
    """The Actor of an authenticated DRF request or GraphQL `info`."""
    request = getattr(request, "context", request)
    principal = getattr(request, "plum_principal", None) or getattr(request, "user", None)
    if not isinstance(principal, ClientPrincipal):
        raise exceptions.NotAuthenticated()
    return principal.actor
