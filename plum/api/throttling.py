"""Rate limits as fixed-window counters in the cache: one atomic increment per call.

DRF's SimpleRateThrottle keeps every timestamp of the last window in one cache value and rewrites it on
each call: at 6,000 calls a minute that is a list of 6,000 floats pickled and sent to Redis per request.
A counter per window costs the same at any rate; a client may burst up to twice the rate across a window
boundary, which a rate limit of this kind tolerates."""

import functools
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class FixedWindowThrottle(BaseThrottle):
    scope: str

    def get_ident_key(self, request, view) -> str:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        # Rates are read at call time (DRF reads them once at import), so a settings change takes effect.
        allowed, per = api_settings.DEFAULT_THROTTLE_RATES[self.scope].split("/")
        self.duration = _SECONDS[per[0]]
        window = int(time.time()) // self.duration
        key = f"throttle:{self.scope}:{self.get_ident_key(request, view)}:{window}"
        self.window_ends = (window + 1) * self.duration
        return _count(key, self.duration) <= int(allowed)

    def wait(self) -> float:
        return max(self.window_ends - time.time(), 0.0)


def _count(key: str, duration: int) -> int:
    """The window's count after this call. On Redis one round trip (Django's cache.incr costs two: an
    EXISTS, then the INCR), atomic: the key is made with its expiry if absent, then incremented."""
    cache = caches["default"]  # the backend itself: django.core.cache.cache is a proxy of it
    if isinstance(cache, RedisCache):
        key = cache.make_key(key)
        with _redis_writer(cache._cache).pipeline(transaction=True) as pipeline:
            return pipeline.set(key, 0, ex=duration + 1, nx=True).incr(key).execute()[1]
    try:
        return cache.incr(key)
    except ValueError:  # the window's first call (or its key was evicted)
        if cache.add(key, 1, timeout=duration + 1):
            return 1
        return cache.incr(key)


@functools.lru_cache(maxsize=64)
def _redis_writer(cache_client):
    """A redis client kept per cache client (one per thread): Django's get_client builds a new one on
    every call, which cost more than the round trip itself. It shares the cache's connection pool."""
    return cache_client.get_client(write=True)


class ClientRateThrottle(FixedWindowThrottle):
    """Requests per API client; calls without a valid token (refused anyway) are keyed by address."""

    scope = "client"

    def get_ident_key(self, request, view) -> str:
        actor = getattr(request.user, "actor", None)
        return f"c{actor.client_id}" if actor else f"a{self.get_ident(request)}"


class FixedKeyThrottle(FixedWindowThrottle):
    """A throttle on an arbitrary key, for callers outside DRF views (the token endpoint)."""

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self._ident = ident

    def get_ident_key(self, request, view) -> str:
        return self._ident
