"""The ledger's functions and triggers, loaded from the .sql files of points/ledger/sql.

Their text lives there, and only there: the earlier migrations create the first versions, and this one
replaces each with the files' text (idempotent: CREATE OR REPLACE, constraint triggers dropped and created
again). A later change to a file is loaded by a new migration calling the same loader. Going back
restores the credit function of 0006 (which did not call the acceptance rule) and drops that rule; the
triggers and their functions keep their meaning, so they stay."""

import importlib

from django.db import migrations

from points.ledger.sql_files import ledger_sql

CREDIT_BEFORE = importlib.import_module("points.migrations.0006_single_credit_waits_for_a_busy_shard").CREDIT_FUNCTION
BACK = [
    CREDIT_BEFORE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
    "DROP FUNCTION points_request_decision(text, bigint, bigint, text, bigint);",
]


class Migration(migrations.Migration):
    dependencies = [("points", "0007_alter_ledgerentry_options")]
    operations = [migrations.RunSQL(ledger_sql(), BACK)]
