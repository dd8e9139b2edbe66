from django.db import models

from users.models import Organisation


class ReconciliationIssue(models.Model):
    """A difference between the reports' tables and the ledger or vouchers, found by reconciliation."""

    class Area(models.TextChoices):
        ROLLUP = "rollup", "rollup + deltas vs entry dimensions"
        DIMENSIONS = "dimensions", "entry dimensions vs ledger"
        RECIPIENTS = "recipients", "recipients vs ledger"
        MONTHLY = "monthly", "monthly rollup + deltas vs entry dimensions"
        MONTHLY_RECIPIENTS = "month_recipients", "monthly recipients vs entry dimensions"
        RECIPIENT_COUNTS = "recipient_counts", "recipient counts + deltas vs monthly recipients"
        VOUCHERS = "vouchers", "voucher facts vs vouchers"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=16, choices=Area.choices)
    key = models.CharField(max_length=500, help_text="Which group differs")
    expected = models.CharField(max_length=500, help_text="What the source of truth says")
    found = models.CharField(max_length=500, help_text="What the reports' tables say")
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["organisation", "detected_at"], name="reports_issue_org_detected")]

    def __str__(self) -> str:
        return f"{self.area} {self.key}"
