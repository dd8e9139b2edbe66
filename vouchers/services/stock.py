"""Imports of codes bought from brands: a CSV file, taken whole or not at all."""

import csv
import io

from django.db import IntegrityError, transaction

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode
from plum.core.ids import uuid7
from plum.core.text import storable_text
from plum.core.timefmt import parse_aware
from vouchers import codes
from vouchers.commands import StockFileImport
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Product, StockCode, StockImport
from vouchers.services.trail import record_created

STOCK_COLUMNS = ("code", "pin", "denomination", "expires_at")
MAX_STOCK_BYTES = 20 * 1024 * 1024
MAX_CODE_LENGTH = 256
E = VoucherErrorCode


def _row_error(row: int, field: str | None, code, message: str) -> dict:
    return {"row": row, "field": field, "code": str(code), "message": message}


def _parse(product: Product, content: bytes) -> tuple[list[dict], list[dict]]:
    """The file's rows as dicts, and every error found (rows are numbered as in a spreadsheet)."""
    if not content.strip():
        return [], [_row_error(1, None, E.INVALID_STOCK_FILE, "The file is empty.")]
    if len(content) > MAX_STOCK_BYTES:
        return [], [_row_error(1, None, E.INVALID_STOCK_FILE, f"Larger than {MAX_STOCK_BYTES // 2**20} MiB.")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_row_error(1, None, E.INVALID_STOCK_FILE, "Not UTF-8 text.")]
    try:
        return _rows(product, csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # a field past the csv module's size limit, say
        return [], [_row_error(1, None, E.INVALID_STOCK_FILE, f"The CSV cannot be read: {exc}.")]


def _rows(product: Product, reader) -> tuple[list[dict], list[dict]]:
    header = [h.strip().lower() for h in next(reader, [])]
    if sorted(header) != sorted(STOCK_COLUMNS):
        # Names the unknown columns' count, never their text: a file without its header row has a
        # code and PIN in the first line, and the report is stored and shown.
        unknown = [h for h in header if h not in STOCK_COLUMNS]
        missing = [c for c in STOCK_COLUMNS if c not in header]
        message = (
            f"The first row must name the columns {', '.join(STOCK_COLUMNS)}; missing: {', '.join(missing) or 'none'};"
            f" {len(unknown)} other value(s), not shown (a file without its header row starts with a code)."
        )
        return [], [_row_error(1, None, E.INVALID_STOCK_FILE, message)]
    rows, errors, seen = [], [], {}
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(_row_error(number, None, E.INVALID_STOCK_FILE, f"{len(values)} fields, not {len(header)}."))
            continue
        row = dict(zip(header, (v.strip() for v in values), strict=True))
        errors += _row_errors(product, number, row)
        digest = codes.lookup_hash(row["code"]) if row["code"] else None
        if digest is not None and digest in seen:
            message = f"The same code as row {seen[digest]}."
            errors.append(_row_error(number, "code", E.DUPLICATE_CODE, message))
        seen.setdefault(digest, number)
        rows.append({**row, "row": number, "hash": digest})
    if not rows and not errors:
        errors.append(_row_error(1, None, E.INVALID_STOCK_FILE, "The file has a header but no codes."))
    return rows, errors


def _code_text(code: str) -> bool:
    return storable_text(code) and bool(codes.normalise(code))


def _small_whole(text: str) -> bool:
    """ASCII digits only: str.isdigit() also admits '²' and other digits int() refuses."""
    return text.isascii() and text.isdigit() and len(text) <= 10


def _row_errors(product: Product, number: int, row: dict) -> list[dict]:
    errors = []
    if not row["code"] or len(row["code"]) > MAX_CODE_LENGTH or not _code_text(row["code"]):
        errors.append(_row_error(number, "code", CoreErrorCode.INVALID, f"1 to {MAX_CODE_LENGTH} characters."))
    if len(row["pin"]) > MAX_CODE_LENGTH or not storable_text(row["pin"]):
        errors.append(_row_error(number, "pin", CoreErrorCode.INVALID, f"At most {MAX_CODE_LENGTH} characters."))
    if not _small_whole(row["denomination"]) or int(row["denomination"]) not in product.denominations:
        message = f"One of the product's denominations: {', '.join(map(str, product.denominations))}."
        errors.append(_row_error(number, "denomination", E.DENOMINATION_NOT_OFFERED, message))
    if row["expires_at"]:
        moment = parse_aware(row["expires_at"])
        if moment is None:
            message = "An ISO 8601 time with its offset, or empty."
            errors.append(_row_error(number, "expires_at", CoreErrorCode.INVALID, message))
        row["expires_at"] = moment
    else:
        row["expires_at"] = None
    return errors


def stock_import(*, actor: Actor, command: StockFileImport) -> StockImport:
    """Import a CSV of codes (code, pin, denomination, expires_at) whole, or nothing: any bad row, or a
    code already known to the organisation, rejects the file with the full report (kept for staff)."""
    product = Product.objects.filter(organisation_id=actor.organisation_id, pk=command.product_id).first()
    if product is None or product.source != Product.Source.STOCK:
        raise VoucherError(E.PRODUCT_NOT_FOUND, "No stock product with this id in this organisation.")
    rows, errors = _parse(product, command.content)
    record = StockImport(
        id=uuid7(),
        organisation_id=actor.organisation_id,
        product=product,
        filename=command.filename[:255],
        rows=len(rows),
        created_by=actor.label[:200],
    )
    hashes = [r["hash"] for r in rows if r["hash"]]
    known = set(
        bytes(h)
        for h in StockCode.objects.filter(organisation_id=actor.organisation_id, code_hash__in=hashes).values_list(
            "code_hash", flat=True
        )
    )
    errors += [_row_error(r["row"], "code", E.DUPLICATE_CODE, "Already in stock.") for r in rows if r["hash"] in known]
    if not errors:
        try:
            with transaction.atomic():
                record.status, record.imported = StockImport.Status.IMPORTED, len(rows)
                record.save(force_insert=True)
                StockCode.objects.bulk_create(_stock_codes(actor, product, record, rows), batch_size=2000)
                _audit(actor, record)
            return record
        except IntegrityError:  # the same code imported by someone else meanwhile
            errors = [_row_error(1, "code", E.DUPLICATE_CODE, "A code of this file was imported meanwhile.")]
    record.status, record.imported = StockImport.Status.REJECTED, 0
    record.errors = sorted(errors, key=lambda e: e["row"])[:1000]
    with transaction.atomic():
        record.save(force_insert=True)
        _audit(actor, record)
    return record


def _audit(actor: Actor, record: StockImport) -> None:
    """One entry per file, whatever its size: its counts, never a code (an error names a row, not its text)."""
    action = "stock_import.imported" if record.status == StockImport.Status.IMPORTED else "stock_import.rejected"
    values = {"product_id": record.product_id, "filename": record.filename, "status": record.status}
    counts = {"rows": record.rows, "imported": record.imported, "errors": len(record.errors)}
    record_created(actor, action, record.pk, values, counts=counts)


def _stock_codes(actor: Actor, product: Product, record: StockImport, rows: list[dict]) -> list[StockCode]:
    org = actor.organisation_id
    return [
        StockCode(
            organisation_id=org,
            product=product,
            denomination=int(r["denomination"]),
            code_ciphertext=codes.encrypt(r["code"], org),
            pin_ciphertext=codes.encrypt(r["pin"], org) if r["pin"] else None,
            code_hash=r["hash"],
            code_last4=codes.last_four(r["code"]),
            expires_at=r["expires_at"],
            stock_import=record,
        )
        for r in rows
    ]
