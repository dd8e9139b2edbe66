"""The catalogue, kept by operations staff: brands and their products."""

from django.core.exceptions import ValidationError

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import uuid7
from vouchers.commands import BrandCreate, BrandRename, ProductCreate, ProductUpdate
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Brand, Product


def brand_create(*, actor: Actor, command: BrandCreate) -> Brand:
    brand, _ = Brand.objects.get_or_create(organisation_id=actor.organisation_id, name=command.name)
    return brand


def brand_rename(*, actor: Actor, command: BrandRename) -> Brand:
    brand = Brand.objects.get(organisation_id=actor.organisation_id, pk=command.brand_id)
    brand.name = command.name
    _clean_and_save(brand, force_update=True)
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
    _clean_and_save(product, force_insert=True)
    return product


def product_update(*, actor: Actor, command: ProductUpdate) -> Product:
    """Change what may change once vouchers exist (the command has no brand, currency, denominations or
    source: they are fixed once created)."""
    product = Product.objects.get(organisation_id=actor.organisation_id, pk=command.product_id)
    for name, value in command.changes().items():
        setattr(product, name, value)
    _clean_and_save(product, force_update=True)
    return product
