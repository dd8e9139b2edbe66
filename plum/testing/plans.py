"""Query plans that broke row claims, forced on purpose (see plum.core.claims).

`stale_statistics(table)` makes the planner believe `table` holds one row in a thousand pages, as
statistics taken when it was nearly empty (a new database, a product before its stock import) do: it
then puts a claim's locking subquery on the inner side of a nested loop, run again for every outer row.
Both that and each PLANS entry's planner settings last until the test's transaction ends.
"""

import pytest
from django.db import connection

PLANS = {
    "stale statistics": (),
    "nested loops, no material": ("enable_hashjoin", "enable_mergejoin", "enable_material"),
    "nested loops, no index": (
        "enable_hashjoin",
        "enable_mergejoin",
        "enable_material",
        "enable_indexscan",
        "enable_bitmapscan",
    ),
}


def fresh_tables(*tables: str) -> None:
    """Start `tables` (empty at a test's start) anew in the test's transaction, so the dead rows earlier
    tests left cannot change the plan: the forced plans are then the same on every run."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def stale_statistics(*tables: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.fail("Forced-plan tests write planner statistics (pg_class): run them as a superuser")
        for table in tables:
            cursor.execute("UPDATE pg_class SET reltuples = 1, relpages = 1000 WHERE oid = %s::regclass", [table])


# PostgreSQL's own cost settings, so that a server tuned otherwise plans these tests as they were written.
DEFAULT_COSTS = {
    "seq_page_cost": "1",
    "random_page_cost": "4",
    "cpu_tuple_cost": "0.01",
    "cpu_index_tuple_cost": "0.005",
    "cpu_operator_cost": "0.0025",
}


def force_plan(name: str) -> None:
    """Turn off the planner settings of PLANS[name] until the transaction ends."""
    with connection.cursor() as cursor:
        for setting, value in DEFAULT_COSTS.items():
            cursor.execute(f"SET LOCAL {setting} = {value}")
        for setting in PLANS[name]:
            cursor.execute(f"SET LOCAL {setting} = off")
