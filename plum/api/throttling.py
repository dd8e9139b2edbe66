from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRate:
    def get_rate(self):
        # Read at call time (DRF reads the rates once at import), so a settings change takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class ClientRateThrottle(_SettingsRate, SimpleRateThrottle):
    """Requests per API client; calls without a valid token (refused anyway) are keyed by address."""

    scope = "client"

    def get_cache_key(self, request, view):
        actor = getattr(request.user, "actor", None)
        ident = f"c{actor.client_id}" if actor else f"a{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FixedKeyThrottle(_SettingsRate, SimpleRateThrottle):
    """A throttle on an arbitrary key, for callers outside DRF views (the token endpoint)."""

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self._ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self._ident}
