"""Fixtures for every test folder (tests/ and each app's tests/): tenants with API clients and tokens, REST callers.

Helpers to call the doors (graphql, employee_payload, token_request) are in tests/conftest.py."""

import os
import secrets

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from plum.core.scopes import ALL_SCOPES
from plum.testing.tenants import Tenant
from users import services
from users.commands import ApiClientCreate

pytest_plugins = ["plum.testing.browser"]


def pytest_configure(config):
    # Staff passwords in tests need no million-round hashing; client secrets keep their real hasher.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "plum.core.hashers.ClientSecretHasher",
    ]


def pytest_sessionstart(session):
    """In CI the servers it names must really be in use: PLUM_REQUIRE_SERVICES=1, the machine's PostgreSQL
    and Redis; PLUM_REQUIRE_EMBEDDED=1, the embedded PostgreSQL 16 with tasks in-process."""
    if os.environ.get("PLUM_REQUIRE_EMBEDDED") == "1":
        _require_embedded()
    if os.environ.get("PLUM_REQUIRE_SERVICES") != "1":
        return
    db = settings.DATABASES["default"]
    if db.get("HOST") not in ("127.0.0.1", "localhost") or str(db.get("PORT") or 5432) != "5432":
        raise pytest.UsageError(f"CI must test against PostgreSQL on 127.0.0.1:5432, not {db.get('HOST')}")
    if "RedisCache" not in settings.CACHES["default"]["BACKEND"] or settings.CELERY_TASK_ALWAYS_EAGER:
        raise pytest.UsageError("CI must use Redis as cache and Celery broker (REDIS_URL)")
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()


def _require_embedded():
    db = settings.DATABASES["default"]
    if not str(db.get("HOST", "")).startswith("/") or not settings.CELERY_TASK_ALWAYS_EAGER:  # a socket, no Redis
        raise pytest.UsageError(f"This run must use the embedded PostgreSQL and no Redis, not {db.get('HOST')}")
    import psycopg

    with psycopg.connect(host=db["HOST"], user=db["USER"], dbname=db["NAME"]) as connection:
        version = connection.info.server_version
    if version // 10000 != 16:
        raise pytest.UsageError(f"The embedded PostgreSQL is 16, this is {version}")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttle counters are per test
    yield


@pytest.fixture
def make_tenant(db):
    counter = iter(range(1, 1000))

    def make(slug: str | None = None, scopes=ALL_SCOPES) -> Tenant:
        slug = slug or f"org{next(counter)}-{secrets.token_hex(3)}"
        organisation, _ = services.organisation_ensure(slug=slug, name=slug.title())
        command = ApiClientCreate(name=f"{slug} client", allowed_scopes=list(scopes))
        issued = services.api_client_create(organisation=organisation, command=command)
        return Tenant(organisation, issued.client, issued.client_secret)

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def api(tenant) -> APIClient:
    """The tenant's client with every scope; a server error comes back as a 500, not an exception."""
    client = tenant.api()
    client.raise_request_exception = False
    return client


@pytest.fixture
def other_tenant(make_tenant) -> Tenant:
    return make_tenant("globex")
