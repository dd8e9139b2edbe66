"""Uploads: every kind of bad file and bad row gets a precise error and credits nothing; confirming turns the
valid rows into a batch, once."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from openpyxl.styles import Font

from points.commands import PointsRequestCommand
from points.models import PointsBatchItem, PointsUpload
from points.services import points_batch_process, points_request_submit
from points.tests.batches_support import BATCHES, UPLOADS, batch_tables, make_org, wallets
from points.tests.factories import ProgrammeFactory
from tests.support import assert_problem
from users.commands import EmployeeDeactivate
from users.services import employee_deactivate

HEADER = "employee_id,points,reason,request_id,programme\n"


def csv_file(text: str, name: str = "awards.csv", content_type: str = "text/csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text, content_type)


def xlsx_file(rows: list[list], name: str = "awards.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name, buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def xlsx_with_broken_xml(part: str):
    """A well-formed zip of a real workbook in which one XML part is cut off mid-tag."""
    source, out = io.BytesIO(xlsx_file([["employee_id"]]).read()), io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as broken:
        for name in original.namelist():
            broken.writestr(name, b"<?xml version='1.0'?><Types><Default" if name == part else original.read(name))
    return SimpleUploadedFile("awards.xlsx", out.getvalue(), "application/octet-stream")


def upload(api, file):
    return api.post(UPLOADS, {"file": file}, format="multipart")


@pytest.fixture
def org(tenant):
    org = make_org(tenant, employees=4, max_points_per_request=1000)
    employee_deactivate(actor=org.actor, command=EmployeeDeactivate.parse({"employee_id": "E00003"}))
    ProgrammeFactory(organisation=org.tenant.organisation, code="OFF", name="Off", status="inactive")
    data = {"request_id": "used-1", "employee_id": "E00000", "points": 1, "programme": "KUDOS"}
    points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(data))
    return org


def test_a_valid_csv_is_checked_and_credits_nothing_until_confirmed(api, org):
    before = batch_tables()
    response = upload(api, csv_file(HEADER + "E00000,10,Thanks,u-1,KUDOS\nE00001,20,,u-2,KUDOS\n"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("status", "rows", "valid", "invalid", "errors", "filename", "batch")} == {
        "status": "validated",
        "rows": 2,
        "valid": 2,
        "invalid": 0,
        "errors": [],
        "filename": "awards.csv",
        "batch": None,
    }
    after = batch_tables()
    assert {k for k in before if before[k] != after[k]} == {"uploads"}  # the upload only: nothing credited

    confirmed = api.post(f"{UPLOADS}{body['id']}/confirm/")
    assert confirmed.status_code == 202
    receipt = confirmed.json()
    assert receipt == {"id": receipt["id"], "batch_id": f"upload {body['id']}", "status": "queued", "total": 2}
    again = api.post(f"{UPLOADS}{body['id']}/confirm/")
    assert (again.status_code, again.json()["id"]) == (200, receipt["id"])  # the same batch, not another
    points_batch_process(receipt["id"])

    assert wallets(org) == {"E00000": 11, "E00001": 20}
    items = PointsBatchItem.objects.filter(batch_id=receipt["id"]).order_by("index")
    assert [(i.source_row, i.status, i.points_request.source) for i in items] == [
        (2, "credited", "upload"),
        (3, "credited", "upload"),
    ]
    assert api.get(f"{UPLOADS}{body['id']}/").json()["status"] == "confirmed"


def test_a_valid_xlsx_is_read_with_excel_numbers(api, org):
    rows = [
        ["employee_id", "points", "reason", "request_id", "programme"],
        ["E00000", 5.0, "Well done", "x-1", "KUDOS"],
    ]
    rows += [[None] * 5, ["E00001", 7, None, "x-2", "KUDOS"]]
    body = upload(api, xlsx_file(rows)).json()
    assert (body["rows"], body["valid"], body["errors"]) == (2, 2, [])
    assert PointsUpload.objects.get(pk=body["id"]).requests == [
        {
            "employee_id": "E00000",
            "points": 5,
            "reason": "Well done",
            "request_id": "x-1",
            "programme": "KUDOS",
            "source": "upload",
            "row": 2,
        },
        {
            "employee_id": "E00001",
            "points": 7,
            "reason": "",
            "request_id": "x-2",
            "programme": "KUDOS",
            "source": "upload",
            "row": 4,
        },
    ]


def test_every_bad_row_gets_a_precise_error(api, org):
    lines = [
        "E00000,10,ok,good-1,KUDOS",  # row 2: valid
        "NOPE,10,,r3,KUDOS",
        "E00003,10,,r4,KUDOS",
        "E00000,ten,,r5,KUDOS",
        "E00000,2.5,,r6,KUDOS",
        "E00000,0,,r7,KUDOS",
        "E00000,-4,,r8,KUDOS",
        "E00000,1001,,r9,KUDOS",
        "E00000,10,,r10,NOPE",
        "E00000,10,,r11,OFF",
        "E00000,10,,good-1,KUDOS",
        "E00000,10,,used-1,KUDOS",
        ",,,,",  # blank: skipped, not an error
        "E00000,,,,KUDOS",
        "E00000,10,,has space,KUDOS",
        "E00000,10,,r17,KUDOS,surplus",
    ]
    before = batch_tables()
    body = upload(api, csv_file(HEADER + "\n".join(lines) + "\n")).json()

    assert (body["rows"], body["valid"], body["invalid"]) == (15, 1, 14)
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (3, "employee_id", "employee_not_found"),
        (4, "employee_id", "employee_inactive"),
        (5, "points", "invalid"),
        (6, "points", "invalid"),
        (7, "points", "points_out_of_range"),
        (8, "points", "points_out_of_range"),
        (9, "points", "points_out_of_range"),
        (10, "programme", "programme_not_found"),
        (11, "programme", "programme_inactive"),
        (12, "request_id", "duplicate_request_id"),
        (13, "request_id", "request_id_used"),
        (15, "points", "required"),
        (15, "request_id", "required"),
        (16, "request_id", "invalid"),
        (17, None, "invalid"),
    ]
    assert body["errors"][9]["message"] == "request_id 'good-1' is also on row 2."
    after = batch_tables()
    assert {k for k in before if before[k] != after[k]} == {"uploads"}


@pytest.mark.parametrize(
    ("content", "code", "errors"),
    [
        ("employee_id,points,request_id,programme\nE00000,1,a,KUDOS\n", "invalid_file", [("reason", "missing_column")]),
        (HEADER.strip() + ",colour\n", "invalid_file", [("colour", "unknown_column")]),
        ("employee_id,points,points,reason,request_id,programme\n", "invalid_file", [("points", "duplicate_column")]),
        ("", "invalid_file", [("file", "empty_file")]),
        ("\n\n", "invalid_file", [("file", "empty_file")]),
        (HEADER, "invalid_file", [("file", "empty_file")]),
        (
            HEADER.encode() + "E00000,1,caf\xe9,a,KUDOS\n".encode("latin-1"),
            "invalid_file",
            [("file", "invalid_encoding")],
        ),
        (HEADER + 'E00000,1,"unclosed,a,KUDOS\n', "invalid_file", [("file", "unreadable_file")]),
    ],
)
def test_a_bad_file_is_refused_whole_and_changes_nothing(api, org, content, code, errors):
    before = batch_tables()
    response = upload(api, csv_file(content))
    assert_problem(response, 400, code, errors)
    assert batch_tables() == before


def test_encoding_error_says_where(api, org):
    response = upload(api, csv_file(HEADER.encode() + b"E00000,1,ok,a,KUDOS\nE00001,1,caf\xe9,b,KUDOS\n"))
    assert response.json()["errors"][0]["message"] == (
        "The file is not UTF-8: byte 0xe9 on line 3. Save it as CSV UTF-8."
    )


def test_wrong_kinds_and_sizes_of_file(api, org):
    before = batch_tables()
    assert_problem(
        upload(api, csv_file("%PDF-1.4", name="awards.pdf", content_type="application/pdf")),
        415,
        "unsupported_file_type",
    )
    assert_problem(
        upload(api, csv_file(b"PK\x03\x04junk", name="awards.xlsx")), 400, "invalid_file", [("file", "unreadable_file")]
    )
    for part in ("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"):
        broken = upload(api, xlsx_with_broken_xml(part))
        assert_problem(broken, 400, "invalid_file", [("file", "unreadable_file")])
    assert_problem(upload(api, csv_file(b"old excel", name="awards.xls")), 415, "unsupported_file_type")
    row = "E00000,1,x,a,KUDOS\n"
    big = csv_file(HEADER + row * ((10 * 1024 * 1024 - len(HEADER)) // len(row) + 50))  # just over 10 MiB
    assert_problem(upload(api, big), 413, "file_too_large")
    huge = api.generic(
        "POST", UPLOADS, b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(11 * 1024 * 1024)
    )
    assert_problem(huge, 413, "payload_too_large")
    assert_problem(api.post(UPLOADS, {"file": "a"}, format="json"), 415, "unsupported_media_type")
    assert_problem(api.post(UPLOADS, {}, format="multipart"), 400, "validation_error", [("file", "required")])
    assert batch_tables() == before


def test_confirming_nothing_valid_other_tenants_and_scopes(api, org, tenant, other_tenant):
    body = upload(api, csv_file(HEADER + "NOPE,1,,n-1,KUDOS\n")).json()
    before = batch_tables()
    assert_problem(api.post(f"{UPLOADS}{body['id']}/confirm/"), 422, "nothing_to_confirm")
    assert_problem(other_tenant.api().post(f"{UPLOADS}{body['id']}/confirm/"), 404, "points_upload_not_found")
    assert_problem(other_tenant.api().get(f"{UPLOADS}{body['id']}/"), 404, "points_upload_not_found")
    assert_problem(
        tenant.api(scopes=["points:read"]).post(f"{UPLOADS}{body['id']}/confirm/"), 403, "insufficient_scope"
    )
    assert_problem(api.post(f"{UPLOADS}not-a-uuid/confirm/"), 404, "points_upload_not_found")
    assert batch_tables() == before


def test_an_upload_with_an_idempotency_key_replays_and_a_different_file_is_refused(api, org):
    text = "employee_id,points,reason,request_id,programme\nE00000,5,thanks,idem-1,KUDOS\n"
    first = api.post(UPLOADS, {"file": csv_file(text)}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1")
    again = api.post(UPLOADS, {"file": csv_file(text)}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1")
    other = api.post(
        UPLOADS, {"file": csv_file(text.replace("5,", "6,"))}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1"
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, "idempotency_key_reused")
    assert PointsUpload.objects.count() == 1


def test_odd_but_readable_files_get_row_errors_not_refusals(api, org):
    blank_header_cells = "employee_id,points,reason,request_id,programme,,\nE00000,5,,b-1,KUDOS,,\n"
    assert upload(api, csv_file(blank_header_cells)).json()["valid"] == 1
    workbook = Workbook()
    workbook.active.append(HEADER.strip().split(","))
    workbook.active.append(["E00000", 5, None, "b-2", "KUDOS"])
    workbook.active["G1"].font = Font(bold=True)  # a formatted empty cell widens the sheet's header
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(api, SimpleUploadedFile("wide.xlsx", buffer.getvalue())).json()["valid"] == 1

    before = batch_tables()
    body = upload(api, csv_file(HEADER + "E00000," + "9" * 5000 + ",,h-1,KUDOS\n")).json()
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [(2, "points", "invalid")]
    bom_then_latin1 = b"\xef\xbb\xbf" + HEADER.encode() + b"E00000,1,ok,a,KUDOS\n\xe9,1,,b,KUDOS\n"
    assert upload(api, csv_file(bom_then_latin1)).json()["errors"][0]["message"] == (
        "The file is not UTF-8: byte 0xe9 on line 3. Save it as CSV UTF-8."
    )
    assert {k for k in before if before[k] != batch_tables()[k]} == {"uploads"}


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_parsed(api, org, monkeypatch):
    from points.services import uploads

    monkeypatch.setattr(uploads, "MAX_UNPACKED_XLSX_BYTES", 64 * 1024)
    padded = io.BytesIO()
    source = io.BytesIO(xlsx_file([["employee_id"]]).read())
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name in original.namelist():
            part = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = part.replace(b"<sheetData>", b"<sheetData>" + b" " * 100_000)
            bomb.writestr(name, part)
    assert len(padded.getvalue()) < 64 * 1024  # small on the wire, large unpacked
    before = batch_tables()
    response = upload(api, SimpleUploadedFile("bomb.xlsx", padded.getvalue(), "application/octet-stream"))
    assert_problem(response, 400, "invalid_file", [("file", "file_too_large")])
    assert batch_tables() == before


def test_a_file_of_endless_blank_rows_is_refused(api, org, monkeypatch):
    from points.services import uploads

    monkeypatch.setattr(uploads, "MAX_FILE_ROWS", 50)
    before = batch_tables()
    response = upload(api, csv_file(HEADER + "\n" * 60 + "E00000,1,,late,KUDOS\n"))
    assert_problem(response, 400, "invalid_file", [("file", "invalid_file")])
    assert batch_tables() == before


def test_a_client_batch_cannot_take_the_name_of_an_uploads_batch(api, org):
    body = upload(api, csv_file(HEADER + "E00000,5,,n-1,KUDOS\n")).json()
    requests = [{"request_id": "other", "employee_id": "E00001", "points": 1, "programme": "KUDOS"}]
    lookalike = api.post(BATCHES, {"batch_id": f"upload-{body['id']}", "requests": requests}, format="json")
    assert lookalike.status_code == 202
    taken = api.post(BATCHES, {"batch_id": f"upload {body['id']}", "requests": requests}, format="json")
    assert_problem(taken, 400, "validation_error", [("batch_id", "invalid")])

    confirmed = api.post(f"{UPLOADS}{body['id']}/confirm/")
    assert confirmed.status_code == 202 and confirmed.json()["batch_id"] == f"upload {body['id']}"
