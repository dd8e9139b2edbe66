"""The CSV writer both doors share: cells as text, spreadsheet formulas neutralised, numbers left alone."""

from datetime import date
from decimal import Decimal

from reports.exports import csv_cell, csv_lines, csv_response


def test_numbers_dates_and_blanks_are_plain_text():
    assert csv_cell(None) == ""
    assert csv_cell(Decimal("-12.50")) == "-12.50"
    assert csv_cell(Decimal("1E+2")) == "100"
    assert csv_cell(-7) == "-7"
    assert csv_cell(date(2025, 1, 31)) == "2025-01-31"
    assert csv_cell("SALES") == "SALES"


def test_text_a_spreadsheet_would_evaluate_gets_an_apostrophe():
    assert [csv_cell(text) for text in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx")] == [
        "'=SUM(A1)",
        "'+1",
        "'-1",
        "'@cmd",
        "'\tx",
        "'\rx",
    ]
    assert csv_cell("a=b") == "a=b"


def test_lines_quote_commas_and_quotes():
    lines = list(csv_lines(["brand", "points"], [{"brand": 'Ace, "Big"', "points": 3}]))
    assert lines == ["brand,points\r\n", '"Ace, ""Big""",3\r\n']


def test_response_streams_with_an_attachment_name():
    response = csv_response("points.csv", ["month"], iter([{"month": "2025-01"}]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="points.csv"'
    assert b"".join(response.streaming_content) == b"month\r\n2025-01\r\n"
