"""`plum_stock_import`: a brand's CSV goes into a stock product whole, or nothing does and every bad row
is reported."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vouchers.models import StockCode, StockImport
from vouchers.tests.factories import add_stock, make_catalogue, stock_csv

pytestmark = pytest.mark.django_db

HEADER = "code,pin,denomination,expires_at\n"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("plum_stock_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stock_rows() -> list[dict]:
    return list(StockCode.objects.order_by("id").values())


def test_imports_a_file_for_the_products_organisation(tenant, other_tenant, tmp_path):
    cat = make_catalogue(tenant)
    make_catalogue(other_tenant)
    file = tmp_path / "brand.csv"
    file.write_text(HEADER + "AAA-1,9999,25,2030-01-01T00:00:00+00:00\nAAA-2,9999,25,\nAAA-3,,50,\n")

    out, err = run(str(cat.stock.pk), str(file))

    assert (out, err) == ("Imported 3 codes into Skyway Travel credit (EUR).\n", "")
    record = StockImport.objects.get()
    assert (record.organisation_id, record.status, record.rows, record.imported) == (
        tenant.organisation.pk,
        "imported",
        3,
        3,
    )
    assert (record.filename, record.created_by) == ("brand.csv", "plum_stock_import")
    codes = StockCode.objects.filter(product=cat.stock).order_by("code_last4")
    assert [(c.code_last4, c.denomination, c.pin_ciphertext is not None) for c in codes] == [
        ("AAA1", 25, True),
        ("AAA2", 25, True),
        ("AAA3", 50, False),
    ]


@pytest.mark.parametrize(
    ("content", "report"),
    [
        (
            HEADER + "AAA-1,,25,\nBBB-1,,25,\naaa1,,50,\n",
            ["row 4, code: The same code as row 2. (duplicate_code)"],
        ),
        (
            HEADER + "NEW-1,,25,\nSKY-acme-00000,,25,\n",
            ["row 3, code: Already in stock. (duplicate_code)"],
        ),
        (
            "code,value\nAAA-1,25\n",
            [
                "row 1, file: The first row must name the columns code, pin, denomination, expires_at; missing:"
                " pin, denomination, expires_at; 1 other value(s), not shown (a file without its header row starts"
                " with a code). (invalid_stock_file)"
            ],
        ),
        (
            "SECRETCODE-9999-AAAA,PIN4321,25,\n",
            [
                "row 1, file: The first row must name the columns code, pin, denomination, expires_at; missing:"
                " code, pin, denomination, expires_at; 4 other value(s), not shown (a file without its header row"
                " starts with a code). (invalid_stock_file)"
            ],
        ),
        ("", ["row 1, file: The file is empty. (invalid_stock_file)"]),
        (HEADER, ["row 1, file: The file has a header but no codes. (invalid_stock_file)"]),
        (
            HEADER + "AAA-1,,25,\nAAA-2,,30,\nAAA-3,,x,\n",
            [
                "row 3, denomination: One of the product's denominations: 25, 50. (denomination_not_offered)",
                "row 4, denomination: One of the product's denominations: 25, 50. (denomination_not_offered)",
            ],
        ),
        (
            HEADER + "AAA-1,,25,2030-01-01\nAAA-2,,25,tomorrow\nAAA-3,,25,2030-01-01T00:00:00Z\n",
            [
                "row 2, expires_at: An ISO 8601 time with its offset, or empty. (invalid)",
                "row 3, expires_at: An ISO 8601 time with its offset, or empty. (invalid)",
            ],
        ),
    ],
    ids=[
        "duplicate-rows",
        "already-in-stock",
        "wrong-columns",
        "no-header-codes-not-echoed",
        "empty",
        "header-only",
        "denomination",
        "expires_at",
    ],
)
def test_a_rejected_file_imports_nothing_and_prints_every_error(tenant, tmp_path, content, report):
    cat = make_catalogue(tenant, stock_codes=2)
    file = tmp_path / "bad.csv"
    file.write_text(content)
    before = stock_rows()

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=rf"^bad.csv was rejected with {len(report)} error\(s\); nothing was"):
        call_command("plum_stock_import", str(cat.stock.pk), str(file), stdout=out, stderr=err)

    assert out.getvalue() == "" and err.getvalue().splitlines() == report
    assert stock_rows() == before
    rejected = StockImport.objects.get(status="rejected")
    assert (rejected.imported, len(rejected.errors)) == (0, len(report))


@pytest.mark.parametrize(
    ("product_id", "message"),
    [
        ("0190f000-0000-7000-8000-000000000000", "No product with id '0190f000-0000-7000-8000-000000000000'."),
        ("not-a-uuid", "No product with id 'not-a-uuid'."),
    ],
)
def test_an_unknown_product_is_refused(tenant, tmp_path, product_id, message):
    make_catalogue(tenant, stock_codes=1)
    file = tmp_path / "codes.csv"
    file.write_bytes(stock_csv(["AAA-1"]))
    before = (stock_rows(), StockImport.objects.count())
    with pytest.raises(CommandError, match=f"^{message}$"):
        run(product_id, str(file))
    assert (stock_rows(), StockImport.objects.count()) == before


def test_a_generated_product_or_a_missing_file_is_refused(tenant, tmp_path):
    cat = make_catalogue(tenant, stock_codes=1)
    file = tmp_path / "codes.csv"
    file.write_bytes(stock_csv(["AAA-1"], 10))
    before = (stock_rows(), StockImport.objects.count())
    with pytest.raises(CommandError, match="^No stock product with this id in this organisation.$"):
        run(str(cat.generated.pk), str(file))
    with pytest.raises(CommandError, match="^Cannot read .*missing.csv: No such file or directory.$"):
        run(str(cat.stock.pk), str(tmp_path / "missing.csv"))
    assert (stock_rows(), StockImport.objects.count()) == before


def test_the_same_file_twice_is_rejected_the_second_time(tenant, tmp_path):
    cat = make_catalogue(tenant)
    add_stock(tenant, cat.stock, ["OLD-1"])
    file = tmp_path / "codes.csv"
    file.write_bytes(stock_csv(["NEW-1", "NEW-2"]))
    run(str(cat.stock.pk), str(file))
    before = stock_rows()
    with pytest.raises(CommandError, match="rejected with 2 error"):
        run(str(cat.stock.pk), str(file))
    assert stock_rows() == before and len(before) == 3
