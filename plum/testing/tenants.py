"""A tenant of the tests: an organisation with one API client, and tokens and REST callers for it."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from plum.core.scopes import ALL_SCOPES
from users.models import Organisation


@dataclass
class Tenant:
    organisation: Organisation
    client: object
    client_secret: str

    def token(self, scopes=ALL_SCOPES, *, expired: bool = False) -> str:
        value = secrets.token_urlsafe(24)
        expires = timezone.now() + (timedelta(seconds=-1) if expired else timedelta(hours=1))
        AccessToken.objects.create(application=self.client, token=value, expires=expires, scope=" ".join(scopes))
        return value

    def api(self, scopes=ALL_SCOPES, **token_options) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token(scopes, **token_options)}")
        return client
