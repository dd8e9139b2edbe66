"""What orders and campaigns share: codes claimed from stock or generated, and voucher expiry."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from plum.core.claims import claim_rows
from vouchers import codes
from vouchers.models import Product, StockCode


def _column(name: str) -> str:
    return StockCode._meta.get_field(name).column


# Available codes of one product and value, first to expire first; rows other transactions hold are
# skipped, never waited for, so parallel orders each take different codes. Locked and marked issued in
# one statement; the claim is MATERIALIZED so no plan can run it twice (plum.core.claims). RETURNING
# comes in no particular order: claim_stock sorts.
_STOCK = StockCode._meta.db_table
_ID, _PRODUCT, _DENOMINATION, _STATUS, _EXPIRES = map(
    _column, ("id", "product", "denomination", "status", "expires_at")
)
_AVAILABLE, _ISSUED = StockCode.Status.AVAILABLE.value, StockCode.Status.ISSUED.value
_RETURNED = ", ".join(
    f"s.{_column(name)}"
    for name in ("id", "code_ciphertext", "pin_ciphertext", "code_hash", "code_last4", "expires_at")
)
CLAIM_STOCK_SQL = (
    f"WITH claimed AS MATERIALIZED (SELECT {_ID} FROM {_STOCK}"  # noqa: S608 (table, column and status names from the model)
    f" WHERE {_PRODUCT} = %s AND {_DENOMINATION} = %s AND {_STATUS} = '{_AVAILABLE}'"
    f" AND ({_EXPIRES} IS NULL OR {_EXPIRES} > %s)"
    f" ORDER BY {_EXPIRES} NULLS LAST, {_ID} LIMIT %s FOR UPDATE SKIP LOCKED)"
    f" UPDATE {_STOCK} s SET {_STATUS} = '{_ISSUED}' FROM claimed c WHERE s.{_ID} = c.{_ID}"
    f" RETURNING {_RETURNED}"
)


@dataclass
class Code:
    """One code to issue: its stored form, and (when known) the plain text for the order's answer."""

    ciphertext: bytes
    pin_ciphertext: bytes | None
    hash: bytes
    last4: str
    stock_code_id: int | None = None
    expires_at: datetime | None = None  # the brand's own expiry, for stock


def claim_stock(product: Product, denomination: int, count: int, now: datetime) -> list[Code]:
    """Up to `count` available codes, locked and marked issued within the caller's transaction."""
    rows = claim_rows(CLAIM_STOCK_SQL, [product.pk, denomination, now, count], at_most=count)
    rows.sort(key=lambda row: (row[5] is None, row[5] or now, row[0]))  # the claim's order
    return [
        Code(bytes(cipher), bytes(pin) if pin is not None else None, bytes(digest), last4, pk, expires)
        for pk, cipher, pin, digest, last4, expires in rows
    ]


def generate_codes(organisation_id, count: int) -> tuple[list[Code], list[str]]:
    """`count` fresh codes, and their plain text (shown once, in the answer to an order)."""
    plain = [codes.generate() for _ in range(count)]
    return _sealed(plain, organisation_id), plain


def generate_many(organisation_id, count: int) -> list[Code]:
    """`count` fresh codes as generate_codes makes them, in bulk, for a campaign (which never shows them)."""
    return _sealed(codes.generate_many(count), organisation_id)


def _sealed(plain: list[str], organisation_id) -> list[Code]:
    return [Code(sealed, None, digest, last4) for sealed, digest, last4 in codes.seal_many(plain, organisation_id)]


def expiry(product: Product, code: Code, now: datetime, requested: datetime | None = None) -> datetime:
    """A voucher lasts the product's validity (or until a campaign's date), never past its code's own expiry."""
    ends = requested or now + timedelta(days=product.validity_days)
    return min(ends, code.expires_at) if code.expires_at else ends
