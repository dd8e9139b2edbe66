"""Orders and the vouchers they issue. A code is held by at most one live voucher (constraints below)."""

from django.db import models

from plum.core.ids import uuid7
from points.models import LedgerTransaction, Programme
from users.models import Employee, TenantOwned
from vouchers.models.campaigns import CampaignRecipient
from vouchers.models.catalogue import Product, StockCode


class Funding(models.TextChoices):
    POINTS = "points", "the employee's wallet"
    PROGRAMME = "programme", "a programme's budget"


class VoucherOrder(TenantOwned):
    """An order of `quantity` vouchers for one employee, idempotent on its `order_id` forever."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    order_id = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the order body, to tell replays from conflicts")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    denomination = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()
    funding = models.CharField(max_length=16, choices=Funding.choices)
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    points = models.BigIntegerField(help_text="Points paid for the whole order")
    transaction = models.ForeignKey(
        LedgerTransaction,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="The payment; set in the transaction that places the order",
    )
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "order_id"], name="voucher_order_id_per_org"),
            models.CheckConstraint(
                condition=models.Q(funding="points", programme__isnull=True)
                | models.Q(funding="programme", programme__isnull=False),
                name="voucher_order_funding_source",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "created_at", "id"], name="voucher_order_org_created")]

    def __str__(self) -> str:
        return self.order_id


class Voucher(TenantOwned):
    class Status(models.TextChoices):
        ISSUED = "issued"
        REDEEMED = "redeemed"
        EXPIRED = "expired"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", db_index=False)
    order = models.ForeignKey(
        VoucherOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers", db_index=False
    )
    recipient = models.OneToOneField(
        CampaignRecipient, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher"
    )
    stock_code = models.ForeignKey(
        StockCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    denomination = models.PositiveIntegerField()
    points = models.BigIntegerField(help_text="Points this voucher cost")
    funding = models.CharField(max_length=16, choices=Funding.choices)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    funding_transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    spent_lots = models.JSONField(default=list, blank=True, help_text="[[lot id, points]] taken from the wallet")
    code_ciphertext = models.BinaryField()
    pin_ciphertext = models.BinaryField(null=True, blank=True)
    code_hash = models.BinaryField(max_length=32)
    code_last4 = models.CharField(max_length=4)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    refund_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            # a code from stock is held by one live voucher at a time; a cancelled one gives it back
            models.UniqueConstraint(
                fields=["stock_code"], condition=~models.Q(status="cancelled"), name="stock_code_issued_once"
            ),
            # redemption finds the live voucher of a code within the organisation
            models.UniqueConstraint(
                fields=["organisation", "code_hash"], condition=~models.Q(status="cancelled"), name="live_code_per_org"
            ),
            # Plum's own codes are never issued twice, whatever became of the first
            models.UniqueConstraint(
                fields=["code_hash"], condition=models.Q(stock_code__isnull=True), name="generated_code_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(funding="points", programme__isnull=True)
                | models.Q(funding="programme", programme__isnull=False),
                name="voucher_funding_source",
            ),
            models.CheckConstraint(
                condition=models.Q(order__isnull=False) | models.Q(recipient__isnull=False),
                name="voucher_from_order_or_campaign",
            ),
            models.CheckConstraint(
                condition=models.Q(status="issued")
                | models.Q(status="redeemed", redeemed_at__isnull=False)
                | models.Q(status="cancelled", cancelled_at__isnull=False, refund_transaction__isnull=False)
                | models.Q(status="expired", expired_at__isnull=False),
                name="voucher_status_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "issued_at", "id"], name="voucher_org_issued"),
            models.Index(fields=["employee", "issued_at"], name="voucher_employee"),
            models.Index(fields=["order"], condition=models.Q(order__isnull=False), name="voucher_order"),
            models.Index(fields=["expires_at"], condition=models.Q(status="issued"), name="voucher_issued_due"),
        ]

    def __str__(self) -> str:
        return f"{self.denomination} ••••{self.code_last4} ({self.status})"


class VoucherReveal(TenantOwned):
    """Audit: who saw a voucher's code in full, when, and through which door."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="reveals")
    revealed_by = models.CharField(max_length=200)
    actor_kind = models.CharField(max_length=16)
    client_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, help_text="reveal, or order_replay")
    revealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revealed_at"]

    def __str__(self) -> str:
        return f"{self.revealed_by} at {self.revealed_at:%Y-%m-%d %H:%M}"
