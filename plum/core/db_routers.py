"""Database routing with a read replica (settings.DATABASE_ROUTERS).

Everything reads and writes on `default`: a replica may lag, and most reads must see the writes just
made. Reports choose the replica themselves (`.using(reporting_database())`, plum.core.replica), and
related rows of a row read there come from there too. Writes always go to `default`, even a save of a
row read from the replica. Migrations never run on the replica (it receives them from the primary).
"""

from django.db import DEFAULT_DB_ALIAS

from plum.core.replica import REPLICA

SAME_DATA = frozenset({DEFAULT_DB_ALIAS, REPLICA})


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return None  # `default`, or the database of the row a related lookup starts from

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # A row read from the replica is the primary's row: relations between the two are allowed.
        if {obj1._state.db, obj2._state.db} <= SAME_DATA:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
