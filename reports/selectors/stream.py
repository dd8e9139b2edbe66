"""Report queries on the reporting database, read in chunks from a server-side cursor."""

from collections.abc import Iterator, Sequence

from django.db import connections

from plum.core.replica import read_with_fallback


def stream_rows(sql: str, params: Sequence, columns: Sequence[str], *, chunk_size: int = 2000) -> Iterator[dict]:
    """Rows of one query as dicts keyed by `columns`; at most chunk_size rows in memory at a time. A replica
    that fails before the first chunk is replaced by the primary; once rows are sent, a failure ends the
    stream (a client sees a short CSV and an error, never rows twice)."""

    def open_on(alias):
        connection = connections[alias]
        connection.ensure_connection()
        cursor = connection.chunked_cursor()  # a named cursor (WITH HOLD outside a transaction)
        cursor.execute(sql, params)
        return cursor, cursor.fetchmany(chunk_size)

    cursor, rows = read_with_fallback(open_on)
    with cursor:
        while rows:
            for row in rows:
                yield dict(zip(columns, row, strict=True))
            rows = cursor.fetchmany(chunk_size)


def fetch_rows(sql: str, params: Sequence, columns: Sequence[str]) -> list[dict]:
    """The same rows, all at once, with a plain cursor (small answers: GraphQL, budget months)."""

    def read_on(alias):
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    return read_with_fallback(read_on)
