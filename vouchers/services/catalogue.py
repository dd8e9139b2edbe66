"""The catalogue, kept by operations staff: brands and their products."""

from django.core.exceptions import ValidationError
from django.db import transaction

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import uuid7
from vouchers.commands import BrandCreate, BrandRename, ProductCreate, ProductUpdate
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Brand, Product
from vouchers.services.trail import BRAND_FIELDS, PRODUCT_FIELDS, record_changed, record_created, values_of


def brand_create(*, actor: Actor, command: BrandCreate) -> Brand:
    """The brand of this name; a name already there answers that brand and changes nothing."""
    with transaction.atomic():
        brand, created = Brand.objects.get_or_create(organisation_id=actor.organisation_id, name=command.name)
        if created:
            record_created(actor, "brand.created", brand.pk, values_of(brand, BRAND_FIELDS))
    return brand


def brand_rename(*, actor: Actor, command: BrandRename) -> Brand:
    with transaction.atomic():
        brand = Brand.objects.select_for_update().get(organisation_id=actor.organisation_id, pk=command.brand_id)
        before = values_of(brand, BRAND_FIELDS)
        brand.name = command.name
        _clean_and_save(brand, force_update=True)
        record_changed(actor, "brand.updated", brand.pk, before, values_of(brand, BRAND_FIELDS))
    return brand


def _clean_and_save(obj, **save_options) -> None:
    """Model validation (ranges, ISO codes, unique names) as field errors, then save."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        errors = [
            field_error(None if name == "__all__" else name, CoreErrorCode.INVALID, message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
        raise ValidationFailed(errors) from exc
    obj.save(**save_options)


def product_create(*, actor: Actor, command: ProductCreate) -> Product:
    """A product of one of the organisation's brands."""
    brand = Brand.objects.filter(pk=command.brand_id).first()
    if brand is None or brand.organisation_id != actor.organisation_id:
        raise VoucherError(VoucherErrorCode.PRODUCT_NOT_FOUND, "The brand belongs to another organisation.")
    product = Product(id=uuid7(), organisation_id=actor.organisation_id, brand=brand, **command.fields())
    denominations = product.denominations
    if isinstance(denominations, list) and len(set(map(str, denominations))) != len(denominations):
        raise ValidationFailed([field_error("denominations", CoreErrorCode.INVALID, "Each face value once.")])
    with transaction.atomic():
        _clean_and_save(product, force_insert=True)
        record_created(actor, "voucher_product.created", product.pk, values_of(product, PRODUCT_FIELDS))
    return product


def product_update(*, actor: Actor, command: ProductUpdate) -> Product:
    """Change what may change once vouchers exist (the command has no brand, currency, denominations or
    source: they are fixed once created)."""
    with transaction.atomic():
        product = Product.objects.select_for_update().get(organisation_id=actor.organisation_id, pk=command.product_id)
        before = values_of(product, PRODUCT_FIELDS)
        for name, value in command.changes().items():
            setattr(product, name, value)
        _clean_and_save(product, force_update=True)
        record_changed(actor, "voucher_product.updated", product.pk, before, values_of(product, PRODUCT_FIELDS))
    return product
