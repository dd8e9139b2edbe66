"""Recipient counts by month and by business unit x month: presence, insert-only count deltas and counts;
the capture and rebuild SQL loaded again, then the counts filled from the monthly recipients."""

from django.db import migrations, models

from reports.sql_files import reports_sql

# presence and counts of the monthly recipients captured before them, under the fold's lock
BACKFILL = """
SELECT pg_advisory_xact_lock(hashtext('reports_fold'));
INSERT INTO reports_recipientpresence (organisation_id, month, by_unit, business_unit_id, employee_id)
SELECT DISTINCT organisation_id, month, u.by_unit, CASE WHEN u.by_unit THEN business_unit_id END, employee_id
FROM reports_pointsmonthlyrecipient CROSS JOIN (VALUES (false), (true)) u(by_unit)
ON CONFLICT DO NOTHING;
INSERT INTO reports_recipientcount (organisation_id, month, by_unit, business_unit_id, recipients)
SELECT organisation_id, month, by_unit, business_unit_id, COUNT(*) FROM reports_recipientpresence GROUP BY 1, 2, 3, 4;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0005_delta_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='reconciliationissue',
            name='area',
            field=models.CharField(choices=[('rollup', 'rollup + deltas vs entry dimensions'), ('dimensions', 'entry dimensions vs ledger'), ('recipients', 'recipients vs ledger'), ('monthly', 'monthly rollup + deltas vs entry dimensions'), ('month_recipients', 'monthly recipients vs entry dimensions'), ('recipient_counts', 'recipient counts + deltas vs monthly recipients'), ('vouchers', 'voucher facts vs vouchers')], max_length=16),
        ),
        migrations.CreateModel(
            name='RecipientCount',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('organisation_id', models.UUIDField()),
                ('month', models.DateField()),
                ('by_unit', models.BooleanField()),
                ('business_unit_id', models.UUIDField(null=True)),
                ('recipients', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organisation_id', 'month', 'by_unit', 'business_unit_id'), name='reports_recipient_count_key', nulls_distinct=False)],
            },
        ),
        migrations.CreateModel(
            name='RecipientCountDelta',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('organisation_id', models.UUIDField()),
                ('month', models.DateField()),
                ('by_unit', models.BooleanField()),
                ('business_unit_id', models.UUIDField(null=True)),
                ('recipients', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['organisation_id', 'month'], name='reports_count_delta_org_month')],
            },
        ),
        migrations.CreateModel(
            name='RecipientPresence',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('organisation_id', models.UUIDField()),
                ('month', models.DateField(help_text='First day of the local month')),
                ('by_unit', models.BooleanField()),
                ('business_unit_id', models.UUIDField(null=True)),
                ('employee_id', models.UUIDField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organisation_id', 'month', 'by_unit', 'business_unit_id', 'employee_id'), name='reports_recipient_presence_key', nulls_distinct=False)],
            },
        ),
        migrations.RunSQL(reports_sql(), migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
