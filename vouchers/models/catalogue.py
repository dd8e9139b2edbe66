"""The catalogue: brands, products and the stock of codes bought from brands."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from plum.core.ids import uuid7
from users.models import TenantOwned

MAX_DENOMINATION = 10**9  # what orders and campaigns take


class Brand(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="brand_name_per_org")]

    def __str__(self) -> str:
        return self.name


class Product(TenantOwned):
    class Source(models.TextChoices):
        STOCK = "stock", "codes bought from the brand and imported"
        GENERATED = "generated", "Plum's own codes"

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. EUR")
    denominations = ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_DENOMINATION)]),
        help_text="Face values offered, in whole units",
    )
    points_per_unit = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Points cost = denomination * points per unit"
    )
    validity_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(1), MaxValueValidator(36_500)], help_text="At most 100 years"
    )
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 where it can be used")
    category = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    low_stock_threshold = models.PositiveIntegerField(default=10, help_text="Flag a denomination below this")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "brand", "name"], name="product_name_per_brand"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="product_currency_iso"),
            models.CheckConstraint(condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="product_country_alpha2"),
            models.CheckConstraint(condition=models.Q(points_per_unit__gte=1), name="product_points_per_unit_min"),
            models.CheckConstraint(condition=models.Q(validity_days__gte=1), name="product_validity_min"),
            models.CheckConstraint(condition=models.Q(denominations__len__gte=1), name="product_has_denominations"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.name} ({self.currency})"

    def points_for(self, denomination: int) -> int:
        return denomination * self.points_per_unit


class StockImport(TenantOwned):
    """One file of codes given to a product: imported whole, or refused whole with its report."""

    class Status(models.TextChoices):
        IMPORTED = "imported"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="imports")
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, field, code, message}] when rejected")
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename or 'import'}: {self.status}, {self.imported}/{self.rows}"


class StockCode(TenantOwned):
    """A code bought from a brand. Never readable in the database (see vouchers/codes.py)."""

    class Status(models.TextChoices):
        AVAILABLE = "available"
        ISSUED = "issued"

    id = models.BigAutoField(primary_key=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock", db_index=False)
    denomination = models.PositiveIntegerField()
    code_ciphertext = models.BinaryField()
    pin_ciphertext = models.BinaryField(null=True, blank=True)
    code_hash = models.BinaryField(max_length=32)
    code_last4 = models.CharField(max_length=4)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The brand's own expiry of the code")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    stock_import = models.ForeignKey(StockImport, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code_hash"], name="stock_code_unique_per_org"),
        ]
        indexes = [
            # the claim: available codes of one product and value, first to expire first
            models.Index(
                fields=["product", "denomination", "expires_at", "id"],
                condition=models.Q(status="available"),
                name="stock_code_available",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.denomination} ••••{self.code_last4} ({self.status})"
