"""Points rollups. Written only by the PostgreSQL triggers of reports/sql (in the ledger's own transaction)
and by the fold (reports.services.fold); read by reports.selectors. Dimension columns hold ids, not foreign
keys: the triggers write them in the ledger's hot path, and ids stay valid because the tables they point at
are never deleted from (PROTECT everywhere)."""

from django.db import models

# (programme, business unit, cost centre, country, department) of the employee at the movement
_DIMENSIONS = ("programme_id", "business_unit_id", "cost_centre_id", "country", "department")


class _Dimensions(models.Model):
    organisation_id = models.UUIDField()
    programme_id = models.UUIDField(null=True, help_text="Null for spend, refund and expiry: wallets pool programmes")
    business_unit_id = models.UUIDField(null=True)
    cost_centre_id = models.UUIDField(null=True)
    country = models.CharField(max_length=2, blank=True)
    department = models.CharField(max_length=150, blank=True)

    class Meta:
        abstract = True


class EntryDimension(_Dimensions):
    """One row per wallet ledger entry, and per budget ledger entry: what it moved, when (its transaction's
    time and local day) and the employee's dimensions at that moment. The source the rollups are rebuilt
    from, and what reconciliation compares with the ledger."""

    entry_id = models.UUIDField(primary_key=True)
    account_kind = models.CharField(max_length=16)  # wallet or budget
    kind = models.CharField(max_length=16)  # the transaction's: award, reversal, spend, refund, expiry, topup
    employee_id = models.UUIDField(null=True)
    happened_at = models.DateTimeField()
    day = models.DateField(help_text="happened_at's day in the organisation's time zone")
    amount = models.BigIntegerField(help_text="Signed, as on the ledger entry")

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "day"], name="reports_dimension_org_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} on {self.day}"


class _Measures(_Dimensions):
    day = models.DateField()
    awarded = models.BigIntegerField(default=0)
    reversed = models.BigIntegerField(default=0)
    redeemed = models.BigIntegerField(default=0, help_text="Spent from wallets minus refunds to them")
    expired = models.BigIntegerField(default=0)
    funded = models.BigIntegerField(default=0, help_text="Budget top-ups")
    budget_net = models.BigIntegerField(default=0, help_text="Signed change of the programme's budget")
    wallet_entries = models.BigIntegerField(default=0, help_text="Wallet entries counted: a group with activity")

    class Meta:
        abstract = True


class PointsDelta(_Measures):
    """Movements of one ledger statement, not folded yet. Insert-only, so parallel credits never wait on a
    shared rollup row; the fold moves them into PointsDaily."""

    id = models.BigAutoField(primary_key=True)

    class Meta:
        # a report reads one organisation's deltas: an index scan, however bloated the folds leave the table
        indexes = [models.Index(fields=["organisation_id", "day"], name="reports_delta_org_day")]

    def __str__(self) -> str:
        return f"delta {self.day}"


class PointsDaily(_Measures):
    """The rollup: one row per organisation, local day and dimensions."""

    id = models.BigAutoField(primary_key=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "day", *_DIMENSIONS], nulls_distinct=False, name="reports_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"rollup {self.day}"


class PointsRecipient(_Dimensions):
    """Employees awarded, per month: `days` has bit d-1 set when they were awarded on local day d."""

    id = models.BigAutoField(primary_key=True)
    month = models.DateField(help_text="First day of the local month")
    employee_id = models.UUIDField()
    days = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "month", "programme_id", "employee_id", *_DIMENSIONS[1:]],
                nulls_distinct=False,
                name="reports_recipient_key",
            )
        ]

    def __str__(self) -> str:
        return f"recipient {self.employee_id} in {self.month:%Y-%m}"


class PointsMonthly(models.Model):
    """The coarse rollup, folded with PointsDaily from the same deltas: one row per organisation, local
    month, programme, business unit and country. Reports without cost centre or department read it for
    whole months (a few thousand rows where the daily rollup holds about one row per movement)."""

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()
    month = models.DateField(help_text="First day of the local month")
    programme_id = models.UUIDField(null=True)
    business_unit_id = models.UUIDField(null=True)
    country = models.CharField(max_length=2, blank=True)
    awarded = models.BigIntegerField(default=0)
    reversed = models.BigIntegerField(default=0)
    redeemed = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    funded = models.BigIntegerField(default=0)
    budget_net = models.BigIntegerField(default=0)
    wallet_entries = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "month", "programme_id", "business_unit_id", "country"],
                nulls_distinct=False,
                name="reports_monthly_key",
            )
        ]

    def __str__(self) -> str:
        return f"monthly rollup {self.month:%Y-%m}"


class PointsMonthlyRecipient(models.Model):
    """Employees awarded per organisation, local month, business unit, country and programme (written by
    the capture trigger). Its key leads with the coarse groups then the employee, so the distinct count of
    a business unit x month report is an index-only scan in group order."""

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()
    month = models.DateField(help_text="First day of the local month")
    business_unit_id = models.UUIDField(null=True)
    employee_id = models.UUIDField()
    country = models.CharField(max_length=2, blank=True)
    programme_id = models.UUIDField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "month", "business_unit_id", "employee_id", "country", "programme_id"],
                nulls_distinct=False,
                name="reports_monthly_recipient_key",
            )
        ]

    def __str__(self) -> str:
        return f"recipient {self.employee_id} in {self.month:%Y-%m}"


class RecipientPresence(models.Model):
    """The employees awarded per organisation and local month, across business units (`by_unit` false,
    business unit null) and per business unit (`by_unit` true): written by the capture trigger, one row the
    first time an employee is awarded in that cell, so each new row is one more recipient of its count."""

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()
    month = models.DateField(help_text="First day of the local month")
    by_unit = models.BooleanField()
    business_unit_id = models.UUIDField(null=True)
    employee_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "month", "by_unit", "business_unit_id", "employee_id"],
                nulls_distinct=False,
                name="reports_recipient_presence_key",
            )
        ]

    def __str__(self) -> str:
        return f"recipient {self.employee_id} in {self.month:%Y-%m}"


class RecipientCountDelta(models.Model):
    """Insert-only: the recipients a ledger statement added to a cell (its new presence rows); the fold
    adds them to RecipientCount, so parallel credits never queue on a count's row."""

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()
    month = models.DateField()
    by_unit = models.BooleanField()
    business_unit_id = models.UUIDField(null=True)
    recipients = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "month"], name="reports_count_delta_org_month")]

    def __str__(self) -> str:
        return f"{self.recipients:+d} recipients in {self.month:%Y-%m}"


class RecipientCount(models.Model):
    """Distinct employees awarded per organisation and month, in all and per business unit: what a
    recipients report by month, or by business unit and month, reads instead of counting employees."""

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.UUIDField()
    month = models.DateField()
    by_unit = models.BooleanField()
    business_unit_id = models.UUIDField(null=True)
    recipients = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "month", "by_unit", "business_unit_id"],
                nulls_distinct=False,
                name="reports_recipient_count_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipients} recipients in {self.month:%Y-%m}"
