"""Uploads: a CSV or XLSX file of points requests, checked row by row; confirmed, its valid rows become
a batch. Checking credits nothing and writes only the upload itself."""

import csv
import io
import zipfile
from pathlib import PurePath

from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from plum.core import audit
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from points.commands import (
    MAX_BATCH_ITEMS,
    PointsBatchCommand,
    PointsUploadConfirmCommand,
    PointsUploadRowCommand,
    check_each,
)
from points.errors import BatchErrorCode, PointsError, PointsErrorCode
from points.models import PointsBatch, PointsUpload, Programme
from points.selectors import upload_get
from points.services.batch_sql import existing_requests
from points.services.batches import BatchCreated, points_batch_create, upload_batch_id
from users.models import Employee

MAX_FILE_BYTES = 10 * 1024 * 1024
# 100,000 rows with 500-character reasons unpack to about 60 MiB
MAX_UNPACKED_XLSX_BYTES = 128 * 1024 * 1024
# blank rows are skipped, but each costs a parse: a file of empty rows must not run unbounded
MAX_FILE_ROWS = 2 * MAX_BATCH_ITEMS
MAX_ERRORS = 1000
COLUMNS = tuple(PointsUploadRowCommand.model_fields)
EXTRA_VALUES = "The row has more values than the header has columns."
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
F = PointsUpload.FileType


def _invalid_file(code: BatchErrorCode, message: str, field: str | None = "file", errors=None) -> PointsError:
    return PointsError(BatchErrorCode.INVALID_FILE, message, errors=errors or [field_error(field, code, message)])


def _file_type(filename: str, content_type: str) -> str:
    """By extension first, else by the declared media type; anything else is 415."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".csv" or (not suffix and content_type in CSV_TYPES):
        return F.CSV
    if suffix == ".xlsx" or (not suffix and content_type == XLSX_TYPE):
        return F.XLSX
    raise PointsError(
        BatchErrorCode.UNSUPPORTED_FILE_TYPE, f"{filename or 'The file'} is not a CSV (.csv) or Excel (.xlsx) file."
    )


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # the codec counts after the BOM
        line = data[:at].count(b"\n") + 1
        message = f"The file is not UTF-8: byte 0x{data[at]:02x} on line {line}. Save it as CSV UTF-8."
        raise _invalid_file(BatchErrorCode.INVALID_ENCODING, message) from None
    if "\x00" in text:
        raise _invalid_file(BatchErrorCode.INVALID_ENCODING, "The file holds NUL characters; it is not a text CSV.")
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as exc:
        raise _invalid_file(BatchErrorCode.UNREADABLE_FILE, f"The CSV cannot be read: {exc}.") from None


def _xlsx_rows(file):
    try:
        _refuse_zip_bomb(file)
        workbook = load_workbook(file, read_only=True, data_only=True)
        try:
            yield from workbook.worksheets[0].iter_rows(values_only=True)
        finally:
            workbook.close()
    # malformed XML inside the zip raises ElementTree's ParseError, a SyntaxError
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        OSError,
        SyntaxError,
    ):
        message = "The file is not a readable Excel (.xlsx) workbook."
        raise _invalid_file(BatchErrorCode.UNREADABLE_FILE, message) from None


def _refuse_zip_bomb(file) -> None:
    """A workbook is a zip: 10 MiB of it can unpack to gigabytes that openpyxl would parse in full."""
    with zipfile.ZipFile(file) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    file.seek(0)
    if unpacked > MAX_UNPACKED_XLSX_BYTES:
        message = f"The workbook unpacks to {unpacked:,} bytes; at most {MAX_UNPACKED_XLSX_BYTES:,} are read."
        raise _invalid_file(BatchErrorCode.FILE_TOO_LARGE, message)


def _text(value) -> str:
    """A cell as text: Excel stores whole numbers as floats (employee 1001 arrives as 1001.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(cells) -> list[str]:
    names = [_text(c).lower() for c in cells]
    errors, seen = [], set()
    for name in names:
        if not name:  # a blank header cell (spreadsheets export a few); values under it are refused per row
            continue
        if name in seen:
            errors.append(field_error(name, BatchErrorCode.DUPLICATE_COLUMN, f"Column {name!r} appears twice."))
        elif name not in COLUMNS:
            errors.append(field_error(name, BatchErrorCode.UNKNOWN_COLUMN, f"Unknown column {name!r}."))
        seen.add(name)
    errors += [
        field_error(c, BatchErrorCode.MISSING_COLUMN, f"Column {c!r} is missing.") for c in COLUMNS if c not in seen
    ]
    if errors:
        message = f"The first row must name the columns {', '.join(COLUMNS)}."
        raise PointsError(BatchErrorCode.INVALID_FILE, message, errors=errors)
    return names


def _read(rows) -> list[tuple[int, dict]]:
    """(row number, {column: value}) for each non-blank row under the header (the first non-blank row)."""
    header, header_row, out = None, 0, []
    for number, cells in enumerate(rows, start=1):
        if number > MAX_FILE_ROWS:
            message = f"The file has more than {MAX_FILE_ROWS:,} rows, blank ones included; split it."
            raise _invalid_file(BatchErrorCode.INVALID_FILE, message)
        cells = list(cells or ())
        if not any(_text(c) for c in cells):
            continue
        if header is None:
            header, header_row = _header(cells), number
            continue
        if len(out) == MAX_BATCH_ITEMS:
            message = f"The file has more than {MAX_BATCH_ITEMS:,} rows; split it."
            raise _invalid_file(BatchErrorCode.INVALID_FILE, message)
        values = {name: cell for name, cell in zip(header, cells, strict=False) if name}
        # Values under no column (past the header, or under a blank header cell) are refused, not dropped.
        values["__extra__"] = any(_text(c) for n, c in enumerate(cells) if n >= len(header) or not header[n])
        out.append((number, values))
    if header is None:
        raise _invalid_file(BatchErrorCode.EMPTY_FILE, "The file is empty.")
    if not out:
        raise _invalid_file(BatchErrorCode.EMPTY_FILE, f"The file has no rows under its header (row {header_row}).")
    return out


def _check_rows(rows: list[tuple[int, dict]], errors: list) -> list[tuple[int, dict]]:
    """Shape checks of every row at once; answers (row number, the points request it asks for) of the
    rows without errors."""
    texts = [{name: _text(values.get(name)) for name in COLUMNS} for _, values in rows]
    shaped = []
    for (number, values), checked in zip(rows, check_each(PointsUploadRowCommand, texts), strict=True):
        found = checked.errors if isinstance(checked, ValidationFailed) else []
        if values["__extra__"]:
            found = [*found, field_error(None, CoreErrorCode.INVALID, EXTRA_VALUES)]
        errors += [{"row": number, **e} for e in found]
        if not found:
            shaped.append((number, checked))
    return shaped


def _check_against_database(actor: Actor, rows: list[tuple[int, dict]], errors: list) -> list[tuple[int, dict]]:
    """Rules that need the database, with one query per kind for the whole file."""
    org = actor.organisation_id
    programmes = {p.code: p for p in Programme.objects.filter(organisation_id=org)}
    wanted = {r["employee_id"] for _, r in rows}
    employees = dict(
        Employee.objects.filter(organisation_id=org, employee_id__in=wanted).values_list("employee_id", "status")
    )
    used = existing_requests(org, {r["request_id"] for _, r in rows})
    first_row, valid = {}, []
    for number, r in rows:
        found = []
        rid, code, employee = r["request_id"], r["programme"], r["employee_id"]
        if rid in first_row:
            message = f"request_id {rid!r} is also on row {first_row[rid]}."
            found.append(field_error("request_id", BatchErrorCode.DUPLICATE_REQUEST_ID, message))
        elif rid in used:
            message = f"request_id {rid!r} was already used by another points request."
            found.append(field_error("request_id", BatchErrorCode.REQUEST_ID_USED, message))
        first_row.setdefault(rid, number)
        programme = programmes.get(code)
        if programme is None:
            found.append(field_error("programme", PointsErrorCode.PROGRAMME_NOT_FOUND, f"No programme {code!r}."))
        elif programme.status != Programme.Status.ACTIVE:
            message = f"Programme {code!r} is inactive."
            found.append(field_error("programme", PointsErrorCode.PROGRAMME_INACTIVE, message))
        elif r["points"] > programme.max_points_per_request:
            message = f"Points must be from 1 to {programme.max_points_per_request} in programme {code!r}."
            found.append(field_error("points", PointsErrorCode.POINTS_OUT_OF_RANGE, message))
        if employee not in employees:
            found.append(field_error("employee_id", PointsErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {employee!r}."))
        elif employees[employee] != Employee.Status.ACTIVE:
            message = f"Employee {employee!r} is inactive."
            found.append(field_error("employee_id", PointsErrorCode.EMPLOYEE_INACTIVE, message))
        errors += [{"row": number, **e} for e in found]
        if not found:
            valid.append((number, r))
    return valid


def points_upload_create(*, actor: Actor, file, filename: str = "", content_type: str = "") -> PointsUpload:
    """Check every row of the file (nothing is credited) and keep the upload with its valid rows."""
    filename = (filename or getattr(file, "name", "") or "")[:255]
    file_type = _file_type(filename, (content_type or "").split(";")[0].strip().lower())
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise PointsError(BatchErrorCode.FILE_TOO_LARGE, f"The file is {size} bytes; at most {MAX_FILE_BYTES}.")
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PointsError(BatchErrorCode.FILE_TOO_LARGE, f"The file is larger than {MAX_FILE_BYTES} bytes.")
    if not data:
        raise _invalid_file(BatchErrorCode.EMPTY_FILE, "The file is empty.")
    read = _csv_rows(data) if file_type == F.CSV else _xlsx_rows(io.BytesIO(data))
    rows = _read(read)
    errors: list[dict] = []
    shaped = _check_rows(rows, errors)
    valid = _check_against_database(actor, shaped, errors)
    errors.sort(key=lambda e: e["row"])
    requests = [{**r, "source": "upload", "row": number} for number, r in valid]
    with transaction.atomic():
        upload = PointsUpload.objects.create(
            organisation_id=actor.organisation_id,
            filename=filename,
            file_type=file_type,
            size=len(data),
            rows=len(rows),
            valid=len(valid),
            invalid=len(rows) - len(valid),
            errors=errors[:MAX_ERRORS],
            requests=requests,
            created_by=actor.label[:200],
        )
        # the file's rows are not copied into the trail: its counts are
        stored = ("filename", "file_type", "size", "status", "rows", "valid", "invalid")
        changes = audit.created({name: getattr(upload, name) for name in stored})
        audit.record(
            actor=actor,
            action="points_upload.created",
            object_type="points_upload",
            object_id=upload.pk,
            changes=changes,
        )
    return upload


def points_upload_confirm(*, actor: Actor, command: PointsUploadConfirmCommand) -> BatchCreated:
    """Turn the upload's valid rows into a batch; confirming again answers the same batch."""
    with transaction.atomic():
        upload = upload_get(actor=actor, upload_uuid=command.upload)
        upload = PointsUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.batch_id:
            return BatchCreated(upload.batch, replayed=True)
        if not upload.valid:
            raise PointsError(BatchErrorCode.NOTHING_TO_CONFIRM, "The upload has no valid rows to credit.")
        requests = [{k: v for k, v in r.items() if k != "row"} for r in upload.requests]
        with audit.suppressed():  # the call names the upload: its entry is the one
            created = points_batch_create(
                actor=actor,
                command=PointsBatchCommand.model_construct(batch_id=upload_batch_id(upload.pk), requests=requests),
                source=PointsBatch.Source.UPLOAD,
                rows=[r["row"] for r in upload.requests],
            )
        before = {"status": upload.status, "batch": None}
        upload.batch, upload.status, upload.confirmed_at = created.batch, PointsUpload.Status.CONFIRMED, timezone.now()
        upload.save(update_fields=["batch", "status", "confirmed_at"])
        changes = audit.changes_between(before, {"status": upload.status, "batch": created.batch.pk})
        audit.record(
            actor=actor,
            action="points_upload.confirmed",
            object_type="points_upload",
            object_id=upload.pk,
            changes=changes,
        )
    return created
