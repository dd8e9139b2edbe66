"""Placeholder: the ledger's functions and triggers, loaded from the .sql files of points/ledger/."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("points", "0007_alter_ledgerentry_options")]
    operations = []
