"""Reads of the vouchers app, always scoped to the caller's organisation. Codes leave masked."""

from collections.abc import Mapping

from django.db.models import Count, F, QuerySet
from django_filters import FilterSet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso
from vouchers.codes import MASK, masked
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.filters import ProductFilter, VoucherFilter
from vouchers.models import Brand, Campaign, CampaignRecipient, Product, StockCode, Voucher, VoucherOrder


def _filtered(filterset_class: type[FilterSet], queryset: QuerySet, filters: Mapping | None) -> QuerySet:
    filterset = filterset_class(data=filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def stock_levels(product_ids) -> dict:
    """{product id: {denomination: available codes}}, in one query."""
    levels: dict = {}
    rows = (
        StockCode.objects.filter(product_id__in=product_ids, status=StockCode.Status.AVAILABLE)
        .values("product_id", "denomination")
        .annotate(available=Count("id"))
    )
    for row in rows:
        levels.setdefault(row["product_id"], {})[row["denomination"]] = row["available"]
    return levels


def product_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[Product]:
    products = Product.objects.filter(organisation_id=actor.organisation_id, status=Product.Status.ACTIVE)
    return _filtered(ProductFilter, products.select_related("brand"), filters)


def product_document(p: Product, levels: dict[int, int] | None) -> dict:
    """`levels` from stock_levels (None for generated products, which never run out)."""
    generated = p.source == Product.Source.GENERATED
    return {
        "id": str(p.id),
        "brand": p.brand.name,
        "name": p.name,
        "currency": p.currency,
        "denominations": list(p.denominations),
        "points_per_unit": p.points_per_unit,
        "validity_days": p.validity_days,
        "country": p.country,
        "category": p.category,
        "source": str(p.source),
        "in_stock": generated or any((levels or {}).get(d, 0) > 0 for d in p.denominations),
        "stock": None
        if generated
        else [{"denomination": d, "available": (levels or {}).get(d, 0)} for d in p.denominations],
    }


def voucher_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[Voucher]:
    vouchers = Voucher.objects.filter(organisation_id=actor.organisation_id).select_related(
        "product__brand", "employee", "order", "recipient__campaign", "programme"
    )
    return _filtered(VoucherFilter, vouchers, filters)


def voucher_get(*, actor: Actor, voucher_id) -> Voucher:
    pk = parse_uuid(voucher_id)
    voucher = None if pk is None else voucher_list(actor=actor).filter(pk=pk).first()
    if voucher is None:
        raise VoucherError(VoucherErrorCode.VOUCHER_NOT_FOUND, "No such voucher in this organisation.")
    return voucher


def voucher_document(v: Voucher, *, code: str | None = None, pin: str | None = None) -> dict:
    """Masked unless the plain `code` (and `pin`) are given: the order's answer and an explicit reveal."""
    has_pin = v.pin_ciphertext is not None
    return {
        "id": str(v.id),
        "order_id": v.order.order_id if v.order_id else None,
        "campaign_id": v.recipient.campaign.campaign_id if v.recipient_id else None,
        "employee_id": v.employee.employee_id,
        "product_id": str(v.product_id),
        "brand": v.product.brand.name,
        "product": v.product.name,
        "denomination": v.denomination,
        "currency": v.product.currency,
        "points": v.points,
        "funding": str(v.funding),
        "programme": v.programme.code if v.programme_id else None,
        "status": str(v.status),
        "code": code if code is not None else masked(v.code_last4),
        "pin": (pin if pin is not None else MASK) if has_pin else None,
        "issued_at": iso(v.issued_at),
        "expires_at": iso(v.expires_at),
        "redeemed_at": iso(v.redeemed_at),
        "cancelled_at": iso(v.cancelled_at),
        "expired_at": iso(v.expired_at),
    }


def order_get(*, actor: Actor, order_uuid) -> VoucherOrder:
    pk = parse_uuid(order_uuid)
    order = (
        None
        if pk is None
        else VoucherOrder.objects.filter(organisation_id=actor.organisation_id, pk=pk)
        .select_related("employee", "programme")
        .first()
    )
    if order is None:
        raise VoucherError(VoucherErrorCode.ORDER_NOT_FOUND, "No such voucher order in this organisation.")
    return order


def order_list(*, actor: Actor) -> QuerySet[VoucherOrder]:
    return VoucherOrder.objects.filter(organisation_id=actor.organisation_id).select_related("employee", "programme")


def order_vouchers(order: VoucherOrder) -> QuerySet[Voucher]:
    return (
        Voucher.objects.filter(order=order)
        .select_related("product__brand", "employee", "order", "programme")
        .order_by("id")
    )


def order_document(o: VoucherOrder, vouchers: list[dict]) -> dict:
    """`vouchers` are voucher documents: masked, or in full in the answer to the order."""
    return {
        "id": str(o.id),
        "order_id": o.order_id,
        "employee_id": o.employee.employee_id,
        "product_id": str(o.product_id),
        "denomination": o.denomination,
        "quantity": o.quantity,
        "funding": str(o.funding),
        "programme": o.programme.code if o.programme_id else None,
        "points": o.points,
        "transaction_id": str(o.transaction_id) if o.transaction_id else None,
        "created_at": iso(o.created_at),
        "vouchers": vouchers,
    }


def campaign_list(*, actor: Actor) -> QuerySet[Campaign]:
    return Campaign.objects.filter(organisation_id=actor.organisation_id).select_related("programme")


def campaign_get(*, actor: Actor, campaign_uuid) -> Campaign:
    pk = parse_uuid(campaign_uuid)
    campaign = None if pk is None else campaign_list(actor=actor).filter(pk=pk).first()
    if campaign is None:
        raise VoucherError(VoucherErrorCode.CAMPAIGN_NOT_FOUND, "No such campaign in this organisation.")
    return campaign


def campaign_document(c: Campaign) -> dict:
    return {
        "id": str(c.id),
        "campaign_id": c.campaign_id,
        "name": c.name,
        "product_id": str(c.product_id),
        "denomination": c.denomination,
        "programme": c.programme.code,
        "status": str(c.status),
        "total": c.total,
        "processed": c.processed,
        "issued": c.issued,
        "out_of_stock": c.out_of_stock,
        "employee_inactive": c.employee_inactive,
        "budget_exhausted": c.budget_exhausted,
        "points_drawn": c.points_drawn,
        "expires_at": iso(c.expires_at),
        "last_error": c.last_error,
        "created_at": iso(c.created_at),
        "started_at": iso(c.started_at),
        "completed_at": iso(c.completed_at),
    }


def campaign_recipients(campaign: Campaign) -> QuerySet[CampaignRecipient]:
    """Per-recipient outcomes; `campaign` comes from campaign_get (already scoped)."""
    return campaign.recipients.select_related("employee").annotate(voucher_uuid=F("voucher__id"))


def recipient_document(r: CampaignRecipient) -> dict:
    return {
        "index": r.index,
        "employee_id": r.employee.employee_id,
        "status": str(r.status),
        "voucher_id": str(r.voucher_uuid) if r.voucher_uuid else None,
        "processed_at": iso(r.processed_at),
    }


def low_stock(product: Product, levels: dict[int, int]) -> list[int]:
    """Denominations of a stock product below its threshold (for the admin)."""
    return [d for d in product.denominations if levels.get(d, 0) < product.low_stock_threshold]


def brand_admin_choices() -> QuerySet[Brand]:
    """Every organisation's brands, for operations staff's product form."""
    return Brand.objects.select_related("organisation")


def product_admin_choices() -> QuerySet[Product]:
    """Every organisation's products, for operations staff's filters and forms."""
    return Product.objects.select_related("brand", "organisation")
