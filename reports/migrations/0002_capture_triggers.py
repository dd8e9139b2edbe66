"""The capture triggers and the time zone rebuild, loaded from reports/sql (reports.sql_files)."""

from django.db import migrations

from reports.sql_files import DROP, reports_sql


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("points", "0009_job_runner"),
        ("vouchers", "0004_job_runner"),
        ("users", "0003_organisation_time_zone"),
    ]
    operations = [migrations.RunSQL(reports_sql(), DROP)]
