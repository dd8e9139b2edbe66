"""Report queries on the reporting database, read in chunks from a server-side cursor."""

from collections.abc import Iterator, Sequence

from django.db import connections

from plum.core.replica import reporting_database


def stream_rows(sql: str, params: Sequence, columns: Sequence[str], *, chunk_size: int = 2000) -> Iterator[dict]:
    """Rows of one query as dicts keyed by `columns`; at most chunk_size rows in memory at a time."""
    connection = connections[reporting_database()]
    connection.ensure_connection()
    with connection.chunked_cursor() as cursor:  # a named cursor (WITH HOLD outside a transaction)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                yield dict(zip(columns, row, strict=True))


def fetch_rows(sql: str, params: Sequence, columns: Sequence[str]) -> list[dict]:
    """The same rows, all at once, with a plain cursor (small answers: GraphQL, budget months)."""
    with connections[reporting_database()].cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
