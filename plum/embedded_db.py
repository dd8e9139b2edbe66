"""Embedded PostgreSQL for machines without a database server.

Used only when DATABASE_URL is unset: starts (or reuses) a server from the `pgserver` wheel in
`var/pgdata` and answers a Django database setting for it. PostgreSQL stays the only engine.
"""

import logging
import os
import shutil
import signal
import subprocess
import sys
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


def running_pid(data_dir: Path = DEFAULT_DATA_DIR) -> int | None:
    """The postmaster's pid if the embedded server of `data_dir` is running."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


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
    """Stop the embedded server and delete its data folder."""
    stop(data_dir)
    if data_dir.exists():
        shutil.rmtree(data_dir)


def run_then_stop(command: list[str], *, stop_after: bool) -> int:
    """Run `command` (make run's server, make test's steps) and stop the embedded server when it ends,
    however it ends: Ctrl-C reaches the command, which exits, and the server is stopped after it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets the terminal's Ctrl-C
    try:
        return subprocess.call(command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: S603
    finally:
        signal.signal(signal.SIGINT, previous)
        if stop_after and stop():
            print("Embedded PostgreSQL stopped")


USAGE = "usage: python -m plum.embedded_db stop | remove | run COMMAND..."

if __name__ == "__main__":  # the Makefile's: stop, remove (make clean-db), run (make run and make test)
    action, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if action == "stop" and not rest:
        print("Embedded PostgreSQL stopped" if stop() else "Embedded PostgreSQL was not running")
    elif action == "remove" and not rest:
        remove()
        print(f"Embedded PostgreSQL data removed ({DEFAULT_DATA_DIR})")
    elif action == "run" and rest:
        # Only the embedded server, and only if this command started it: a `make run` beside keeps its own.
        embedded = not os.environ.get("DATABASE_URL")
        sys.exit(run_then_stop(rest, stop_after=embedded and running_pid() is None))
    else:
        sys.exit(USAGE)
