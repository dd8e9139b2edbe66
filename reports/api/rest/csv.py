"""CSV answers streamed row by row: a year of a large organisation never sits in memory."""

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


class CSVRenderer(BaseRenderer):
    """Lets `Accept: text/csv` through negotiation; the reports answer a StreamingHttpResponse themselves,
    so only errors come here (as problem+json)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class _Line:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_lines(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([_cell(row[column]) for column in columns])


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[dict]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(columns, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
