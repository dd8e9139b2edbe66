"""Reports read one organisation's deltas through an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_monthly_rollup"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pointsdelta",
            index=models.Index(fields=["organisation_id", "day"], name="reports_delta_org_day"),
        ),
    ]
