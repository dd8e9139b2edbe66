"""Shared by the benchmarks: Django set-up, machine facts, timing, the results table and JSON file."""

import json
import os
import platform
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def setup_django() -> None:
    """plum.settings with DATABASE_URL if set, else the embedded PostgreSQL (migrated on first use)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plum.settings")
    os.environ.setdefault("PLUM_ALLOW_EPHEMERAL_SECRET", "1")  # nothing here is signed
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # a .env with DEBUG=1 would keep every query in memory and skew the timings
    _ensure_migrated(embedded=not os.environ.get("DATABASE_URL"))


def _ensure_migrated(*, embedded: bool) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return
    if not embedded:
        raise SystemExit("The database at DATABASE_URL has unapplied migrations: run `python manage.py migrate`.")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def machine_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        server_build = cursor.fetchone()[0]
    import django
    import psycopg

    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "postgresql_version": server_version,
        "postgresql": server_build,
        "database": _database_label(connection.settings_dict),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _database_label(db: dict) -> str:
    """Where the run went, without credentials."""
    if not os.environ.get("DATABASE_URL"):
        return f"embedded pgserver ({db['HOST']})"
    return f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


class Timer:
    """with Timer() as t: ...; t.seconds"""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_results(name: str, document: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {"benchmark": name, "run_at": datetime.now(UTC).isoformat(timespec="seconds"), **document}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Right-aligned columns except the first two; plain text that survives any terminal or CI log."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
