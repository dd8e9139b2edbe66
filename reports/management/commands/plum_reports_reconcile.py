"""Prove the reports' tables equal the ledger and the vouchers; exits 1 when they differ."""

from django.core.management.base import BaseCommand, CommandError

from reports import services


class Command(BaseCommand):
    help = "Reconcile the reports' rollups with the ledger and vouchers; a difference exits non-zero."

    def handle(self, *args, **options):
        issues = services.reports_reconcile()
        for issue in issues:
            self.stderr.write(
                f"{issue.area} {issue.organisation_id} {issue.key}: expected {issue.expected}, found {issue.found}"
            )
        if issues:
            raise CommandError(f"{len(issues)} difference(s) between the reports and the ledger.")
        self.stdout.write("Reports equal the ledger and the vouchers.")
