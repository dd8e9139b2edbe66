"""Erasure of personal data may replace a ledger transaction's memo (and nothing else) through
points_ledger_erase_memo; the append-only trigger permits exactly that. Loads the .sql files again."""

from django.db import migrations

from points.ledger.sql_files import ledger_sql


class Migration(migrations.Migration):
    dependencies = [("points", "0010_single_credit_audit")]
    operations = [
        migrations.RunSQL(ledger_sql(), "DROP FUNCTION IF EXISTS points_ledger_erase_memo(uuid, uuid[], text[]);")
    ]
