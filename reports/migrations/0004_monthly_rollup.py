"""The monthly rollup and its recipients; the capture and rebuild SQL loaded again (the capture takes an
award's programme from its statement's own budget entries and marks monthly recipients; the rebuild
rebuilds the monthly tables), then the monthly tables filled from the rows captured before."""

from django.db import migrations, models

from reports.sql_files import monthly_backfill_sql, reports_sql


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_dashboard"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reconciliationissue",
            name="area",
            field=models.CharField(
                choices=[
                    ("rollup", "rollup + deltas vs entry dimensions"),
                    ("dimensions", "entry dimensions vs ledger"),
                    ("recipients", "recipients vs ledger"),
                    ("monthly", "monthly rollup + deltas vs entry dimensions"),
                    ("month_recipients", "monthly recipients vs entry dimensions"),
                    ("vouchers", "voucher facts vs vouchers"),
                ],
                max_length=16,
            ),
        ),
        migrations.CreateModel(
            name="PointsMonthly",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("organisation_id", models.UUIDField()),
                ("month", models.DateField(help_text="First day of the local month")),
                ("programme_id", models.UUIDField(null=True)),
                ("business_unit_id", models.UUIDField(null=True)),
                ("country", models.CharField(blank=True, max_length=2)),
                ("awarded", models.BigIntegerField(default=0)),
                ("reversed", models.BigIntegerField(default=0)),
                ("redeemed", models.BigIntegerField(default=0)),
                ("expired", models.BigIntegerField(default=0)),
                ("funded", models.BigIntegerField(default=0)),
                ("budget_net", models.BigIntegerField(default=0)),
                ("wallet_entries", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organisation_id", "month", "programme_id", "business_unit_id", "country"),
                        name="reports_monthly_key",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PointsMonthlyRecipient",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("organisation_id", models.UUIDField()),
                ("month", models.DateField(help_text="First day of the local month")),
                ("business_unit_id", models.UUIDField(null=True)),
                ("employee_id", models.UUIDField()),
                ("country", models.CharField(blank=True, max_length=2)),
                ("programme_id", models.UUIDField(null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "organisation_id",
                            "month",
                            "business_unit_id",
                            "employee_id",
                            "country",
                            "programme_id",
                        ),
                        name="reports_monthly_recipient_key",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunSQL(reports_sql(), migrations.RunSQL.noop),
        migrations.RunSQL(monthly_backfill_sql(), migrations.RunSQL.noop),
    ]
