"""Pieces shared by the vouchers model admins."""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from plum.core.errors import DomainError
from vouchers import selectors
from vouchers.codes import MASK, masked
from vouchers.models import Product


def failure(exc: DomainError) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors if e["message"] != exc.message)
    return f"{exc.message} {details}".strip()


def product_label(product: Product) -> str:
    """Names repeat across organisations, so choices say whose product it is."""
    return f"{product} · {product.organisation.slug}"


def products_for_choices():
    return selectors.product_admin_choices()


class ProductListFilter(admin.RelatedFieldListFilter):
    """The product filter in one query (the default one loads each product's brand separately)."""

    def field_choices(self, field, request, model_admin):
        return [(p.pk, product_label(p)) for p in products_for_choices()]


def permitted_actions(request, actions: dict, permission: str, names: tuple[str, ...]) -> dict:
    """These admins are read-only, yet their actions write: offer them to staff with `permission` only."""
    if not request.user.has_perm(permission):
        for name in names:
            actions.pop(name, None)
    return actions


class MaskedCodeColumns:
    """`code` and `pin` columns that show only what a masked code shows: never a decrypted value."""

    @admin.display(description="Code", ordering="code_last4")
    def code(self, obj):
        return masked(obj.code_last4)

    @admin.display(description="PIN")
    def pin(self, obj):
        return MASK if obj.pin_ciphertext is not None else "—"


class ListColumns:
    """Short columns for the change lists of vouchers and orders, so they fit a 1400 px screen."""

    @admin.display(description="Product", ordering="product__name")
    def product_value(self, obj):
        product = obj.product
        return f"{product.brand.name} {product.name} · {obj.denomination} {product.currency}"

    @admin.display(description="Paid from", ordering="funding")
    def paid_from(self, obj):
        return str(obj.programme) if obj.programme_id else "Wallet"

    @admin.display(description="Issued", ordering="issued_at")
    def issued_on(self, obj):
        return day(obj.issued_at)

    @admin.display(description="Expires", ordering="expires_at")
    def expires_on(self, obj):
        return day(obj.expires_at)


def day(moment):
    """The date alone, on one line (6 Dec 2026): the time of day is on the detail page."""
    return format_html('<span class="nowrap">{}</span>', date_format(localtime(moment), "j M Y")) if moment else None
