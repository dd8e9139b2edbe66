"""Typed input of every vouchers write, parsed once for every door (REST, GraphQL, admin, commands).

Each field's check answers in the words the vouchers API always used (`invalid` with a sentence saying
what the field must be); a field sent as null counts as left out. Rules that need the database (the
product offers the denomination, the employee is active) are the services'.
"""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from django.utils import timezone
from pydantic import ConfigDict, Field, PlainValidator, ValidationInfo, WithJsonSchema, WrapValidator

from plum.core.commands import Command, rule_error
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.text import storable_text
from plum.core.timefmt import parse_aware
from vouchers import codes
from vouchers.models import Brand, Campaign
from vouchers.models.catalogue import MAX_DENOMINATION
from vouchers.models.vouchers import Funding

MAX_QUANTITY = 100
MAX_RECIPIENTS = 100_000
MAX_CODE_LENGTH = 256
KEY_MAX_LENGTH = 128  # employee ids and programme codes the vouchers services take
FILTER_VALUE_MAX_LENGTH = 150
FILTER_FIELDS = ("business_unit", "cost_centre", "country", "department", "status")
REFERENCE_PATTERN = r"^[\x21-\x7e]{1,128}$"  # what reference_ok takes; the OpenAPI schema states the same
BRAND_NAME_MAX_LENGTH = Brand._meta.get_field("name").max_length
CAMPAIGN_NAME_MAX_LENGTH = Campaign._meta.get_field("name").max_length


def checked(annotation, ok, message: str, clean=lambda value: value, **schema):
    """A field `ok` accepts (then `clean`ed), else `invalid` with `message`; documented as `annotation`
    with the JSON Schema keywords in `schema` (minLength, maximum, ...) stating the same bounds."""

    def validate(value):
        if not ok(value):
            raise rule_error(CoreErrorCode.INVALID, message)
        return clean(value)

    documented = Field(json_schema_extra=schema or None)
    return Annotated[annotation, PlainValidator(validate, json_schema_input_type=annotation), documented]


def reference_ok(value) -> bool:
    """A client's own reference: 1 to 128 printable ASCII characters, no spaces."""
    return isinstance(value, str) and 1 <= len(value) <= 128 and all("\x21" <= c <= "\x7e" for c in value)


def whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def text_ok(value, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and storable_text(value)


def future_time(value) -> datetime | None:
    moment = parse_aware(value.isoformat() if isinstance(value, datetime) else value)
    return moment if moment is not None and moment > timezone.now() else None


Reference = checked(
    str,
    reference_ok,
    "1 to 128 printable ASCII characters, no spaces.",
    pattern=REFERENCE_PATTERN,
    minLength=1,
    maxLength=128,
)
Key = {"minLength": 1, "maxLength": KEY_MAX_LENGTH}
ProductId = checked(uuid.UUID, lambda v: parse_uuid(v) is not None, "A product id (UUID).", parse_uuid)
Denomination = checked(
    int,
    lambda v: whole(v, 1, MAX_DENOMINATION),
    "A whole number offered by the product.",
    minimum=1,
    maximum=MAX_DENOMINATION,
)
ProgrammeCode = checked(str, lambda v: text_ok(v, KEY_MAX_LENGTH), "A programme code.", **Key)
VoucherId = Annotated[uuid.UUID | None, PlainValidator(parse_uuid, json_schema_input_type=uuid.UUID)]


class VouchersCommand(Command):
    """A command whose nulls mean "left out", refusing anything but an object as `what` says."""

    what: ClassVar[str] = "The input"

    @classmethod
    def parse(cls, data: Any, **context) -> Self:
        if not isinstance(data, dict):
            raise ValidationFailed([field_error(None, CoreErrorCode.INVALID, f"{cls.what} must be an object.")])
        try:
            return super().parse({k: v for k, v in data.items() if v is not None}, **context)
        except ValidationFailed as exc:
            raise ValidationFailed(_in_answer_order(exc.errors)) from None


def _in_answer_order(errors: list[dict]) -> list[dict]:
    """Unknown fields, then fields left out, then wrong values: the order the vouchers API answers in."""
    left_out = {"code": str(CoreErrorCode.REQUIRED), "message": "This field is required."}
    rank = {str(CoreErrorCode.UNKNOWN_FIELD): 0}
    return sorted(errors, key=lambda e: rank.get(e["code"], 1 if left_out.items() <= e.items() else 2))


def _programme_for_funding(value, handler, info: ValidationInfo):
    funding = info.data.get("funding")
    if funding == Funding.PROGRAMME and value is None:
        raise rule_error(CoreErrorCode.REQUIRED, "Required when funding is `programme`.")
    if funding == Funding.POINTS and value is not None:
        raise rule_error(CoreErrorCode.INVALID, "Only with funding `programme`.")
    return None if value is None else handler(value)


class VoucherOrderPlace(VouchersCommand):
    """An order of `quantity` vouchers of one product and denomination for one employee."""

    # what the funding check refuses, for the schema: a programme exactly when the programme's budget pays
    # (patterns, not enums: drf-spectacular would turn an enum into the whole FundingEnum)
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"funding": {"pattern": "^points$"}}, "not": {"required": ["programme"]}},
                {"properties": {"funding": {"pattern": "^programme$"}}, "required": ["programme"]},
            ]
        }
    )

    what: ClassVar[str] = "An order"

    order_id: Annotated[Reference, Field(description="Your own reference; idempotent forever")]
    employee_id: checked(str, lambda v: text_ok(v, KEY_MAX_LENGTH), "A string.", **Key)
    product_id: Annotated[ProductId, Field(description="A product's id")]
    denomination: Annotated[Denomination, Field(description="One of the product's denominations (else 422)")]
    quantity: Annotated[
        checked(
            int,
            lambda v: whole(v, 1, MAX_QUANTITY),
            f"A whole number from 1 to {MAX_QUANTITY}.",
            minimum=1,
            maximum=MAX_QUANTITY,
        ),
        Field(description=f"1 unless given; at most {MAX_QUANTITY}"),
    ] = 1
    funding: Annotated[
        checked(
            Literal["points", "programme"],
            lambda v: v in Funding.values,
            "`points` (the wallet) or `programme` (its budget).",
        ),
        Field(description="`points`: the employee's wallet pays; `programme`: the programme's budget"),
    ]
    programme: Annotated[
        ProgrammeCode,
        WrapValidator(_programme_for_funding),
        Field(validate_default=True, description="Programme code; required when funding is `programme`"),
    ] = None

    def fingerprint(self) -> str:
        """The order as first sent (a replay with another body is a conflict)."""
        fields = {**self.model_dump(), "product_id": str(self.product_id)}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class VoucherRedeem(VouchersCommand):
    # None stands for "left out" so that a missing code reads as today's `invalid`; the schema requires it
    model_config = ConfigDict(json_schema_extra={"required": ["code"]})

    code: Annotated[
        checked(
            str,
            lambda v: text_ok(v, MAX_CODE_LENGTH) and bool(codes.normalise(v)),
            "The voucher's code.",
            pattern=r"[^\s\u001c-\u001f\u0085-]",  # VISIBLE, and not a hyphen
            maxLength=MAX_CODE_LENGTH,
        ),
        Field(validate_default=True, description="The code as printed; case, spaces and hyphens aside"),
    ] = None


class VoucherCancel(VouchersCommand):
    voucher_id: VoucherId = None  # what names no voucher is 404, as an unknown one


class VoucherReveal(VouchersCommand):
    voucher_id: VoucherId = None  # what names no voucher is 404, as an unknown one
    door: str = "reveal"  # the audit record's reason


RECIPIENTS_SCHEMA = {
    "type": "array",
    "items": {"type": "string", **Key},
    "minItems": 1,
    "maxItems": MAX_RECIPIENTS,
    "uniqueItems": True,
}
FILTER_SCHEMA = {
    "type": "object",
    "properties": {
        name: {"type": "string", "minLength": 1, "maxLength": FILTER_VALUE_MAX_LENGTH} for name in FILTER_FIELDS
    },
    "additionalProperties": False,
}


class CampaignCreate(VouchersCommand):
    """One voucher for each recipient, or each employee the filter matches, paid by a programme."""

    # either recipients or filter, not both (checked in _recipient_errors), for the schema
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["recipients"]}, {"required": ["filter"]}]})

    what: ClassVar[str] = "A campaign"

    campaign_id: Annotated[Reference, Field(description="Your own reference; idempotent forever")]
    name: checked(
        str,
        lambda v: text_ok(v, CAMPAIGN_NAME_MAX_LENGTH),
        f"A name of 1 to {CAMPAIGN_NAME_MAX_LENGTH} characters.",
        minLength=1,
        maxLength=CAMPAIGN_NAME_MAX_LENGTH,
    )
    product_id: Annotated[ProductId, Field(description="A product's id")]
    denomination: Annotated[Denomination, Field(description="One of the product's denominations (else 422)")]
    programme: Annotated[ProgrammeCode, Field(description="Code of the programme that pays")]
    # recipients and filter are checked by _recipient_errors (an error at each index); these document them
    recipients: Annotated[
        list[str] | None,
        WithJsonSchema(RECIPIENTS_SCHEMA),
        Field(description="Employee ids of this organisation, each once; or `filter`"),
    ] = None
    filter: Annotated[
        dict[str, str] | None,
        WithJsonSchema(FILTER_SCHEMA),
        Field(description="Every employee matching all of these (without `status`, active ones); or `recipients`"),
    ] = None
    expires_at: Annotated[
        checked(datetime, lambda v: future_time(v) is not None, "A future ISO 8601 time with its offset.", future_time),
        Field(description="A future time with its offset; the product's validity unless given"),
    ] = None

    @classmethod
    def parse(cls, data: Any, **context) -> Self:
        """The recipients are checked whole, each at its index (a duplicate too), after the other fields."""
        if not isinstance(data, dict):
            return super().parse(data, **context)
        data = {k: v for k, v in data.items() if v is not None}
        chosen = {k: data.pop(k) for k in ("recipients", "filter") if k in data}
        later = _recipient_errors(chosen)
        try:
            command = super().parse(data, **context)
        except ValidationFailed as exc:
            timing = [e for e in exc.errors if e["field"] == "expires_at"]
            others = [e for e in exc.errors if e["field"] != "expires_at"]
            raise ValidationFailed((others + later + timing)[:100]) from None
        if later:
            raise ValidationFailed(later[:100])
        return command.model_copy(update={"recipients": chosen.get("recipients"), "filter": chosen.get("filter")})

    def fingerprint(self) -> str:
        fields = {**self.model_dump(), "product_id": str(self.product_id)}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _recipient_errors(chosen: dict) -> list[dict]:
    recipients, given_filter = chosen.get("recipients"), chosen.get("filter")
    if (recipients is None) == (given_filter is None):
        return [field_error("recipients", CoreErrorCode.REQUIRED, "Either `recipients` or `filter`, not both.")]
    if given_filter is not None:
        if not isinstance(given_filter, dict) or not given_filter.keys() <= set(FILTER_FIELDS):
            message = f"An object with any of: {', '.join(sorted(FILTER_FIELDS))}."
            return [field_error("filter", CoreErrorCode.INVALID, message)]
        bad = [k for k, v in given_filter.items() if not text_ok(v, FILTER_VALUE_MAX_LENGTH)]
        return [field_error(f"filter.{k}", CoreErrorCode.INVALID, "A non-empty string.") for k in bad]
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        message = f"A list of 1 to {MAX_RECIPIENTS:,} employee ids."
        return [field_error("recipients", CoreErrorCode.INVALID, message)]
    errors, seen = [], set()
    for n, employee_id in enumerate(recipients):
        if not text_ok(employee_id, KEY_MAX_LENGTH):
            errors.append(field_error(f"recipients[{n}]", CoreErrorCode.INVALID, "An employee id."))
        elif employee_id in seen:
            errors.append(field_error(f"recipients[{n}]", CoreErrorCode.INVALID, f"{employee_id!r} is listed twice."))
        seen.add(employee_id if isinstance(employee_id, str) else None)
    return errors


BrandName = checked(
    str,
    lambda v: isinstance(v, str) and 0 < len(v.strip()) <= BRAND_NAME_MAX_LENGTH,
    f"A name of 1 to {BRAND_NAME_MAX_LENGTH} characters.",
    str.strip,
)


class BrandCreate(VouchersCommand):
    name: BrandName = Field(None, validate_default=True)


class BrandRename(VouchersCommand):
    brand_id: uuid.UUID
    name: BrandName = Field(None, validate_default=True)


class ProductChanges(VouchersCommand):
    """What may change once vouchers exist; the model's own validation checks the values."""

    name: str = None
    status: str = None
    points_per_unit: int = None
    validity_days: int = None
    category: str = None
    low_stock_threshold: int = None

    def changes(self) -> dict:
        return self.given()


class ProductUpdate(ProductChanges):
    product_id: uuid.UUID

    def changes(self) -> dict:
        return {k: v for k, v in self.given().items() if k != "product_id"}


class ProductCreate(VouchersCommand):
    """A product of one of the organisation's brands; the model's own validation checks the values."""

    brand_id: uuid.UUID
    name: str
    currency: str
    denominations: list[int]
    points_per_unit: int
    validity_days: int = None
    country: str
    category: str = ""
    source: str
    status: str = None
    low_stock_threshold: int = None

    def fields(self) -> dict:
        return {k: v for k, v in self.given().items() if k != "brand_id"}


class StockFileImport(VouchersCommand):
    """A brand's CSV of codes (code, pin, denomination, expires_at) for one stock product."""

    product_id: uuid.UUID
    content: bytes
    filename: str = ""


PRODUCT_EDITABLE = frozenset(ProductChanges.model_fields)
