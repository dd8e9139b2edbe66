"""Embedded PostgreSQL for machines without a database server.

Used only when DATABASE_URL is unset: starts (or reuses) a server from the `pgserver` wheel in
`var/pgdata` and answers a Django database setting for it. PostgreSQL stays the only engine.
"""

import logging
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DEFAULT_DATA_DIR = Path(os.environ.get("PLUM_PGDATA") or Path(__file__).resolve().parent.parent / "var" / "pgdata")
DATABASE_NAME = "plum"


def embedded_database(data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    import pgserver  # imported lazily: production images never load it

    # Its exit handler logs at INFO after the streams are closed, which prints tracebacks.
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None leaves the server running for the other processes (workers, tests) to share.
    server = pgserver.get_server(str(data_dir), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 (a constant database name)
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = urlsplit(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "HOST": parse_qs(uri.query)["host"][0],
    }


def running_pid(data_dir: Path = DEFAULT_DATA_DIR) -> int | None:
    """The postmaster's pid if the embedded server of `data_dir` runs. The pid in postmaster.pid counts only
    if that process is a postgres serving this folder: after a crash the number may belong to anything."""
    import psutil  # a dependency of pgserver

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        serves_it = process.name() == "postgres" and str(data_dir.resolve()) in process.cmdline()
    except (OSError, ValueError, psutil.Error):
        return None
    return pid if serves_it else None


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> bool:
    """Stop the embedded server (fast shutdown: open sessions are ended); answers whether one was running."""
    if running_pid(data_dir) is None:
        return False
    from pgserver._commands import pg_ctl

    # pgserver runs the server as its own system user when started by root; pg_ctl must be that user too.
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, **({"user": user} if user else {}))
    return True


def remove(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    """Stop the embedded server if it runs and delete its data folder."""
    stop(data_dir)
    if data_dir.exists():
        shutil.rmtree(data_dir)
