"""The double-entry ledger's tables. PostgreSQL enforces its invariants: entries of a transaction sum to
zero and a committed transaction takes no more entries (deferred constraint triggers), transactions and
entries are append-only (triggers), all in points/ledger/sql/invariants.sql; cached balances of wallets
and budgets never go negative (the CHECK constraints below). Only points.ledger writes these tables."""

from django.db import models

from plum.core.ids import uuid7
from points.models.programmes import Programme
from users.models import Employee, Organisation, TenantOwned


class Account(TenantOwned):
    class Kind(models.TextChoices):
        WALLET = "wallet"  # one per employee
        BUDGET = "budget"  # several shards per programme, so parallel credits do not queue on one row
        FUNDING = "funding"  # one per organisation: the source of every point; goes negative
        REDEMPTION = "redemption"  # sink: points spent
        EXPIRY = "expiry"  # sink: points expired

    # Sinks keep no cached balance: every spend or expiry would otherwise update one hot row.
    UNTRACKED_KINDS = (Kind.REDEMPTION, Kind.EXPIRY)
    ORGANISATION_KINDS = (Kind.FUNDING, Kind.REDEMPTION, Kind.EXPIRY)

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shard = models.PositiveSmallIntegerField(null=True, blank=True)
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0) | models.Q(kind="funding"), name="account_balance_not_negative"
            ),
            models.UniqueConstraint(
                fields=["employee"], condition=models.Q(kind="wallet"), name="one_wallet_per_employee"
            ),
            models.UniqueConstraint(
                fields=["programme", "shard"], condition=models.Q(kind="budget"), name="budget_shard_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=models.Q(kind__in=["funding", "redemption", "expiry"]),
                name="one_organisation_account_per_kind",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="wallet", employee__isnull=False, programme__isnull=True)
                    | models.Q(kind="budget", employee__isnull=True, programme__isnull=False, shard__isnull=False)
                    | models.Q(
                        kind__in=["funding", "redemption", "expiry"], employee__isnull=True, programme__isnull=True
                    )
                ),
                name="account_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class LedgerTransaction(TenantOwned):
    class Kind(models.TextChoices):
        AWARD = "award"
        TOPUP = "topup"
        REVERSAL = "reversal"
        SPEND = "spend"
        REFUND = "refund"
        EXPIRY = "expiry"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(max_length=128, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_index=False)  # see the index

    class Meta:
        indexes = [models.Index(fields=["organisation", "created_at"], name="ledger_txn_org_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class LedgerEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    # no index of its own: ledger_entry_account starts with it
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField(null=True, help_text="Null on sinks, which keep no cached balance.")
    reference = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_not_zero")]
        indexes = [models.Index(fields=["account", "created_at", "id"], name="ledger_entry_account")]

    def __str__(self) -> str:
        return f"{self.amount:+d} on {self.account_id}"


class Lot(TenantOwned):
    """Points credited to a wallet together, expiring together. Spending consumes the first to expire."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    points = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gt=0, remaining__gte=0, remaining__lte=models.F("points")),
                name="lot_remaining_within_points",
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"], condition=models.Q(remaining__gt=0), name="lot_open_by_expiry"
            ),
            models.Index(fields=["expires_at"], condition=models.Q(remaining__gt=0), name="lot_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} until {self.expires_at:%Y-%m-%d}"


class ReconciliationIssue(TenantOwned):
    """A cached balance that disagrees with its entries or lots, found by the periodic reconciliation."""

    class Kind(models.TextChoices):
        ENTRIES = "entries", "balance ≠ sum of entries"
        LOTS = "lots", "balance ≠ sum of lots"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    cached_balance = models.BigIntegerField()
    computed_balance = models.BigIntegerField()
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.kind}: account {self.account_id} {self.cached_balance} vs {self.computed_balance}"
