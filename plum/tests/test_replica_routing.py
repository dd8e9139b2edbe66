"""Choosing the reporting database without a standby: not configured, unreachable, a read failing on the
replica, the per-process verdict, the router and /readyz. The real standby is in test_replica.py."""

import tempfile

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.test import Client

from plum.api import views
from plum.core import replica as replica_module
from plum.core.db_routers import PrimaryReplicaRouter
from plum.core.replica import (
    REPLICA,
    forget_replica_state,
    mark_replica_down,
    read_with_fallback,
    replica_state,
    reporting_database,
)
from users.models import Organisation


@pytest.fixture
def unreachable_replica(django_db_blocker):
    """A replica alias whose server does not exist (an empty socket folder); no test case, so no database
    test case forbids connecting to an alias it does not list."""
    with tempfile.TemporaryDirectory() as folder, django_db_blocker.unblock():
        connections.settings[REPLICA] = dict(connections[DEFAULT_DB_ALIAS].settings_dict, HOST=folder, PORT="1")
        forget_replica_state()
        try:
            yield
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            forget_replica_state()


@pytest.fixture
def replica_said_ok(unreachable_replica, monkeypatch):
    """The verdict "ok" is held, as it is for REPLICA_CHECK_SECONDS after the replica last answered."""
    checks = []
    monkeypatch.setattr(replica_module, "_check", lambda: checks.append(1) or "ok")
    assert reporting_database() == REPLICA
    return checks


def test_without_a_replica_reports_read_from_the_primary():
    assert REPLICA not in connections.settings
    assert replica_state() == "not-configured"
    assert reporting_database() == DEFAULT_DB_ALIAS
    assert read_with_fallback(lambda alias: alias) == DEFAULT_DB_ALIAS


def test_an_unreachable_replica_sends_reports_to_the_primary(unreachable_replica):
    assert replica_state() == "unreachable"
    assert reporting_database() == DEFAULT_DB_ALIAS
    assert read_with_fallback(lambda alias: alias) == DEFAULT_DB_ALIAS


def test_the_verdict_is_kept_per_process_until_it_expires(replica_said_ok, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    assert [reporting_database() for _ in range(5)] == [REPLICA] * 5
    assert replica_said_ok == [1]
    settings.REPLICA_CHECK_SECONDS = 0  # expired: every call asks
    forget_replica_state()
    assert [reporting_database() for _ in range(3)] == [REPLICA] * 3
    assert replica_said_ok == [1, 1, 1, 1]


def test_a_read_failing_on_the_replica_runs_again_on_the_primary_and_marks_it_down(replica_said_ok, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    aliases = []

    def read(alias):
        aliases.append(alias)
        if alias == REPLICA:
            raise OperationalError("server closed the connection unexpectedly")
        return "rows"

    assert read_with_fallback(read) == "rows"
    assert aliases == [REPLICA, DEFAULT_DB_ALIAS]
    assert replica_state() == "unreachable"
    assert read_with_fallback(read) == "rows"
    assert aliases == [REPLICA, DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS]
    assert replica_said_ok == [1]  # marked down: not asked again within REPLICA_CHECK_SECONDS


def test_an_error_that_is_not_the_connections_is_not_hidden(replica_said_ok):
    def read(alias):
        raise ValueError("a bug in the report")

    with pytest.raises(ValueError, match="a bug in the report"):
        read_with_fallback(read)
    assert replica_state() == "ok"


def test_marking_down_holds_for_the_check_period(replica_said_ok, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    mark_replica_down()
    assert reporting_database() == DEFAULT_DB_ALIAS
    assert replica_said_ok == [1]


def test_the_router_keeps_everything_on_the_primary_and_never_migrates_the_replica():
    router = PrimaryReplicaRouter()
    assert router.db_for_write(Organisation) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Organisation) is None  # Django's default: `default`, or the hinted row's
    assert router.allow_migrate(REPLICA, "users") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "users") is None
    on_replica, on_primary = Organisation(slug="a"), Organisation(slug="b")
    on_replica._state.db, on_primary._state.db = REPLICA, DEFAULT_DB_ALIAS
    assert router.allow_relation(on_replica, on_primary) is True
    on_primary._state.db = "other"
    assert router.allow_relation(on_replica, on_primary) is None


def test_readyz_shows_the_replica_without_failing_readiness(db, monkeypatch):
    # The replica's own check is above; a `db` test case may not open a connection the test added.
    monkeypatch.setattr(views, "replica_configured", lambda: True)
    monkeypatch.setattr(views, "replica_state", lambda: "unreachable")
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["replica"] == "unreachable"


def test_readyz_says_nothing_of_a_replica_that_is_not_configured(db):
    assert "replica" not in Client().get("/readyz").json()["checks"]
