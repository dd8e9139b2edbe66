"""The token check is the request's connection health check: no `SELECT 1` round trip before it, and a
connection that died between requests (a database restart) is replaced without failing the request."""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection, connections

from plum.core.db import read_first_row

pytestmark = pytest.mark.django_db(transaction=True)

EMPLOYEES = "/api/v1/employees/"


def _backend_pid() -> int:
    return connection.connection.info.backend_pid


def _terminate(pid: int) -> None:
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


def test_an_authenticated_request_sends_no_separate_health_check(tenant, monkeypatch):
    api = tenant.api()
    assert api.get(EMPLOYEES).status_code == 200
    assert connection.health_check_enabled
    checks = []
    monkeypatch.setattr(connections["default"], "is_usable", lambda: checks.append("SELECT 1") or True)

    close_old_connections()  # what Django does when the next request starts
    response = api.get(EMPLOYEES)

    assert response.status_code == 200
    assert checks == []


def test_a_connection_that_died_between_requests_is_replaced_by_the_token_check(tenant):
    api = tenant.api()
    assert api.get(EMPLOYEES).status_code == 200
    dead = _backend_pid()
    _terminate(dead)

    close_old_connections()
    response = api.get(EMPLOYEES)

    assert response.status_code == 200
    assert _backend_pid() != dead


def test_a_connection_that_died_is_not_retried_inside_a_request_once_checked(tenant):
    api = tenant.api()
    assert api.get(EMPLOYEES).status_code == 200
    close_old_connections()
    assert read_first_row("SELECT 1", []) == (1,)  # the check of this request is done
    _terminate(_backend_pid())

    with pytest.raises(OperationalError):
        read_first_row("SELECT 1", [])
    connection.close()  # as Django does at the end of the request


def test_a_read_that_fails_on_a_live_connection_is_not_sent_again(tenant):
    connection.ensure_connection()
    live = _backend_pid()
    connection.connection.execute("CREATE TEMP SEQUENCE sent_probe")
    connection.connection.execute("SET statement_timeout = '50ms'")
    try:
        close_old_connections()
        with pytest.raises(OperationalError, match="statement timeout"):
            read_first_row("SELECT nextval('sent_probe'), pg_sleep(1)", [])
        assert _backend_pid() == live
        # a sequence moves on even when its statement fails: once per time the statement was sent
        assert connection.connection.execute("SELECT last_value FROM sent_probe").fetchone() == (1,)
    finally:
        connection.connection.execute("SET statement_timeout = 0")
