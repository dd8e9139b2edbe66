"""Reports on a real hot standby of the test server (plum/testing/pg_replica.py): served by it while it is
caught up, by the primary once it lags past REPLICA_MAX_LAG_SECONDS, and by the primary, with no error,
after it was killed. The `replica` alias is added to django.db.connections at run time, pointing at the
standby's port (known only then), as a test mirror of `default` (so the test case never flushes it), and
removed afterwards; settings.DATABASES is left as it is."""

import time

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from plum.core.replica import LAG_SQL, REPLICA, forget_replica_state, read_with_fallback, reporting_database
from plum.testing.pg_replica import Primary, start_replica
from points.tests.factories import make_programme, seed_employees, submit
from reports.selectors import ReportFilter, points_summary
from users import services
from users.models import Organisation

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")  # set up before the test case, which must list the alias in its databases
def replica(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        primary_settings = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
        server = start_replica(Primary.from_django(primary_settings))
    connections.settings[REPLICA] = server.django_settings(primary_settings)
    forget_replica_state()
    try:
        yield server
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        forget_replica_state()
        server.remove()


def served_by(alias: str) -> tuple[int, bool, list[str]]:
    """The port and recovery state of the server `alias` reads from, and the organisations it has."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_setting('port')::int, pg_is_in_recovery()")
        port, in_recovery = cursor.fetchone()
    return port, in_recovery, sorted(Organisation.objects.using(alias).values_list("slug", flat=True))


def write_and_wait(replica, slug: str) -> None:
    services.organisation_ensure(slug=slug, name=slug.title())
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        replica.wait_for_replay(cursor.fetchone()[0])


def awarded(organisation) -> int:
    """The points summary's awarded total, through the reports' own selector (replica when it may)."""
    [totals] = points_summary(organisation_id=organisation.id, group_by=[], filters=ReportFilter())
    return totals["awarded"]


def replica_lag(replica) -> float:
    with replica.connect() as connection:
        return connection.execute(LAG_SQL).fetchone()[0]


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_reports_read_from_the_replica_fall_back_when_it_lags_and_survive_its_loss(replica, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    primary_port = int(connections[DEFAULT_DB_ALIAS].settings_dict["PORT"] or 5432)
    assert replica.port != primary_port
    write_and_wait(replica, "acme")
    acme = Organisation.objects.get(slug="acme")
    tenant = type("Tenant", (), {"organisation": acme})
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=10_000)
    submit(tenant, request_id="R1", employee_id="E1", points=300)
    write_and_wait(replica, "acme")

    assert reporting_database() == REPLICA
    assert read_with_fallback(served_by) == (replica.port, True, ["acme"])
    assert awarded(acme) == 300

    # Lag: replay paused, a write on the primary, until the standby is further behind than allowed.
    with replica.connect() as connection:
        connection.execute("SELECT pg_wal_replay_pause()")
    submit(tenant, request_id="R2", employee_id="E1", points=200)
    assert awarded(acme) == 300  # the report is the standby's: it has not replayed R2 yet
    services.organisation_ensure(slug="globex", name="Globex")
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    while replica_lag(replica) <= 0.5:
        time.sleep(0.05)
    forget_replica_state()
    assert reporting_database() == DEFAULT_DB_ALIAS
    assert read_with_fallback(served_by) == (primary_port, False, ["acme", "globex"])
    assert awarded(acme) == 500

    # Caught up again, the replica serves again (the verdict is asked anew).
    with replica.connect() as connection:
        connection.execute("SELECT pg_wal_replay_resume()")
    settings.REPLICA_MAX_LAG_SECONDS = 30
    write_and_wait(replica, "initech")
    forget_replica_state()
    assert read_with_fallback(served_by) == (replica.port, True, ["acme", "globex", "initech"])

    # Loss: killed while this process still holds the verdict "ok" and an open connection to it.
    assert connections[REPLICA].connection is not None
    replica.stop()
    with pytest.raises(psycopg.OperationalError):
        replica.connect()
    assert read_with_fallback(served_by) == (primary_port, False, ["acme", "globex", "initech"])
    assert awarded(acme) == 500  # the report survives the standby's loss, from the primary
    assert reporting_database() == DEFAULT_DB_ALIAS  # marked down: no new attempt for REPLICA_CHECK_SECONDS
    forget_replica_state()
    assert reporting_database() == DEFAULT_DB_ALIAS  # asked anew: unreachable
