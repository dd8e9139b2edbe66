from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """Requests per API client; anonymous calls (they are refused anyway) are keyed by address."""

    scope = "client"

    def get_cache_key(self, request, view):
        actor = getattr(request.user, "actor", None)
        ident = f"c{actor.client_id}" if actor else f"a{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FixedKeyThrottle(SimpleRateThrottle):
    """A throttle on an arbitrary key, for callers outside DRF views (the token endpoint)."""

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self._ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self._ident}
