"""The ledger's functions and triggers in the database are those of the .sql files in points/ledger/sql,
and nothing of the ledger's lives in the database without a file."""

import re

import pytest

from plum.core.db import fetchall
from points.ledger.sql_files import function_bodies, trigger_definitions

pytestmark = pytest.mark.django_db


def normalised(sql: str) -> str:
    """Whitespace only (and the schema PostgreSQL names and the OR REPLACE it does not keep)."""
    sql = sql.replace("OR REPLACE ", "").replace(" ON public.", " ON ")
    return re.sub(r"\s+", " ", sql).strip()


def test_the_files_define_functions_and_triggers():
    assert {"points_request_credit", "points_request_decision", "points_ledger_append_only"} <= set(function_bodies())
    assert {"points_ledger_balanced", "points_ledgerentry_append_only"} <= set(trigger_definitions())


def test_every_ledger_function_in_the_database_is_its_file_text():
    in_database = dict(fetchall("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE %s", ["points\\_%"]))

    assert set(in_database) == set(function_bodies())
    assert {name: normalised(body) for name, body in in_database.items()} == {
        name: normalised(body) for name, body in function_bodies().items()
    }


def test_every_ledger_trigger_in_the_database_is_its_file_text():
    in_database = dict(
        fetchall(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
            ["points\\_%"],
        )
    )

    assert set(in_database) == set(trigger_definitions())
    assert {name: normalised(sql) for name, sql in in_database.items()} == {
        name: normalised(sql) for name, sql in trigger_definitions().items()
    }
