"""Embedded PostgreSQL for machines without a database server.

Used only when DATABASE_URL is unset: starts (or reuses) a server from the `pgserver` wheel in
`var/pgdata` and answers a Django database setting for it. PostgreSQL stays the only engine.
"""

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "var" / "pgdata"
DATABASE_NAME = "plum"


def embedded_database(data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    import pgserver  # imported lazily: production images never load it

    # Its exit handler logs at INFO after the streams are closed, which prints tracebacks.
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None leaves the server running for the other processes (workers, tests) to share.
    server = pgserver.get_server(str(data_dir), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = urlsplit(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "HOST": parse_qs(uri.query)["host"][0],
    }
