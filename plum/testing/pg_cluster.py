"""A dedicated PostgreSQL server for tests that stop and start it (tests/test_database_restart.py): initdb
into a temporary folder with the binaries of a given major version, trust auth, a free port on 127.0.0.1.

`PgCluster.create(major)` then `start()`, `stop()`, `restart()`, `remove()`. As root the server runs as an
unprivileged system user (PostgreSQL refuses root), the way pgserver runs the embedded one.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# Settings for a throwaway server: nothing needs to survive a power cut, and a restart should be quick.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=60")
UNPRIVILEGED_USERS = ("postgres", "pgserver", "nobody")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def binaries(major: int) -> Path:
    """The folder of initdb/pg_ctl/postgres of PostgreSQL `major`: Debian's packages, pg_config's, or the
    pgserver wheel's (the embedded server's own)."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        candidates.append(Path(bindir.strip()))
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(POSTGRES_BIN_PATH)
    except ImportError:
        pass
    for folder in candidates:
        if (folder / "pg_ctl").exists() and _major_of(folder) == major:
            return folder
    raise RuntimeError(f"No PostgreSQL {major} binaries found (looked in {', '.join(map(str, candidates))})")


def _major_of(folder: Path) -> int | None:
    command = [folder / "postgres", "--version"]
    answer = subprocess.run(command, capture_output=True, text=True, check=False).stdout  # noqa: S603
    try:  # "postgres (PostgreSQL) 16.2"
        return int(answer.split()[-1].split(".")[0])
    except (IndexError, ValueError):
        return None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError(f"Running as root and none of the users {UNPRIVILEGED_USERS} exists to run PostgreSQL")


class PgCluster:
    def __init__(self, bin_dir: Path, folder: Path, port: int, user: str | None):
        self.bin_dir, self.folder, self.port, self.user = bin_dir, folder, port, user
        self.data = folder / "data"
        self.log = folder / "server.log"

    @classmethod
    def create(cls, major: int) -> "PgCluster":
        user = _run_as()
        folder = Path(tempfile.mkdtemp(prefix="plum-pg-"))  # under /tmp: the server's user can reach it
        if user:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        cluster = cls(binaries(major), folder, free_port(), user)
        cluster._pg("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        return cluster

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (our own arguments)
            [str(self.bin_dir / program), *args],
            capture_output=True,
            text=True,
            check=check,
            cwd=self.folder,
            user=self.user,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        options += "".join(f" -c {setting}" for setting in FAST_SETTINGS)
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends open sessions (what a planned restart does); `immediate` is a crash."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def is_running(self) -> bool:
        return self._pg("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._pg("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                        "-tAc", sql).stdout  # fmt: skip

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def remove(self) -> None:
        """Stop the server if it runs (immediately: nothing in it matters) and delete its folder."""
        if self.data.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
