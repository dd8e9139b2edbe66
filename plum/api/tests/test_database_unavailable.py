"""In-process: a database that cannot be reached answers 503 database_unavailable with Retry-After on every
door (the restart itself, with real processes, is plum/tests/test_database_restart.py); any other database
error stays a 500."""

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from psycopg import errors

from plum.core.outage import is_database_unavailable
from plum.testing.pg_cluster import free_port


def _unreachable(monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", free_port())
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")


def _assert_unavailable(response, retry_after="7"):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == retry_after
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (
        "urn:plum:error:database_unavailable",
        "Service unavailable",
        503,
    )
    assert (body["code"], body["errors"]) == ("database_unavailable", [])


@pytest.mark.django_db(transaction=True)
def test_every_door_answers_503_while_the_database_is_unreachable(tenant, settings, monkeypatch):
    settings.PLUM_DATABASE_RETRY_AFTER_SECONDS = 7
    api = tenant.api()
    api.raise_request_exception = False
    _unreachable(monkeypatch)
    try:
        _assert_unavailable(api.get("/api/v1/employees/"))
        _assert_unavailable(api.post("/api/v1/points/requests/", {"request_id": "R1"}, format="json"))
        _assert_unavailable(api.post("/graphql/", {"query": "{ employees { totalCount } }"}, format="json"))
        _assert_unavailable(Client().post("/oauth/token/", {"grant_type": "client_credentials"}))
        ready = Client().get("/readyz")
        assert (ready.status_code, ready.json()["checks"]["database"]) == (503, "unreachable")
    finally:
        connection.close()
    monkeypatch.undo()
    assert Client().get("/readyz").json()["checks"]["database"] == "ok"
    assert api.get("/api/v1/employees/").status_code == 200


def _from(cause: Exception) -> OperationalError:
    exc = OperationalError(str(cause))  # as Django wraps psycopg's errors
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (_from(psycopg.OperationalError("connection refused")), True),  # no server: no SQLSTATE
        (_from(errors.ConnectionFailure("08006")), True),
        (_from(errors.AdminShutdown("terminating connection due to administrator command")), True),
        (_from(errors.CannotConnectNow("the database system is shutting down")), True),
        (InterfaceError("connection already closed"), True),
        (_from(errors.QueryCanceled("canceling statement due to statement timeout")), False),
        (_from(errors.DeadlockDetected("deadlock detected")), False),
        (OperationalError("no cause"), False),
        (ValueError("no"), False),
    ],
)
def test_only_a_database_that_went_away_counts(exc, unavailable):
    assert is_database_unavailable(exc) is unavailable
