from django.db import models


class VoucherFact(models.Model):
    """One row per voucher, written by the triggers of reports/sql: its local issue day, what it is, the
    employee's business unit and country at issue, and its current status."""

    voucher_id = models.UUIDField(primary_key=True)
    organisation_id = models.UUIDField()
    day = models.DateField(help_text="Issue day in the organisation's time zone")
    brand_id = models.UUIDField()
    product_id = models.UUIDField()
    programme_id = models.UUIDField(null=True, help_text="The programme that paid; null when paid by points")
    business_unit_id = models.UUIDField(null=True)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3)
    face_value = models.DecimalField(max_digits=20, decimal_places=2)
    points = models.BigIntegerField()
    status = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "day"], name="reports_voucher_org_day")]

    def __str__(self) -> str:
        return f"voucher {self.voucher_id} ({self.status})"
