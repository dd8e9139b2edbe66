"""A hot standby of the test database's server, for the read replica's tests (plum/tests/test_replica.py).

`start_replica(primary)` copies the server and starts a second PostgreSQL from the binaries of the same
major version, on a free port with a socket folder of its own, replaying the primary's WAL:

- "streaming": `pg_basebackup -R -X stream` and a WAL receiver, when the server accepts replication
  connections. The embedded PostgreSQL (pgserver) does: its pg_hba.conf has `local replication all trust`.
- "wal-shipping": when the server refuses them (the machine's PostgreSQL 15 lists no `replication` line in
  pg_hba.conf, and a test must not edit system files). Everything goes over an ordinary superuser
  connection: pg_backup_start/pg_backup_stop around a copy of the files read with pg_read_binary_file, and
  the standby's restore_command fetches each WAL segment the same way (a psql script), again every 200 ms
  for the segment being written. A temporary physical replication slot, held by the
  backup's session, keeps the primary's WAL until the standby is stopped (and vanishes with that session).

Run as root, the standby runs as the owner of the primary's data folder (postgres, or pgserver's user),
as PostgreSQL refuses root (so restore_command uses psql of the same binaries, not this virtualenv's
Python, which that user may not reach).
"""

import contextlib
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

SYSTEM_BINARIES = "/usr/lib/postgresql/{major}/bin"
# Left out of a base backup, as pg_basebackup leaves them out: folders copied empty, files not at all.
EMPTY_FOLDERS = ("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots",
                 "pg_subtrans")  # fmt: skip
SKIPPED_FILES = ("postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "standby.signal",
                 "recovery.signal", "pg_internal.init")  # fmt: skip
# pg_basebackup: the standby's settings and signal file, the WAL it needs streamed alongside, no fsync.
STREAMING_COPY = ("-R", "-X", "stream", "-c", "fast", "--no-sync")
# A hot standby needs these at least as high as its primary's.
MATCHED_SETTINGS = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                    "max_locks_per_transaction")  # fmt: skip
FILE_TREE_SQL = """
WITH RECURSIVE tree(path, isdir) AS (
    SELECT name, (pg_stat_file(name, true)).isdir FROM pg_ls_dir('.', true, false) AS name
    UNION ALL
    SELECT tree.path || '/' || child, (pg_stat_file(tree.path || '/' || child, true)).isdir
    FROM tree, LATERAL pg_ls_dir(tree.path, true, false) AS child
    WHERE tree.isdir AND tree.path <> ALL(%s)
)
SELECT path, isdir FROM tree WHERE isdir IS NOT NULL ORDER BY path
"""


# The whole file, or NULL if it is gone (PostgreSQL 15 has no pg_read_binary_file(path, missing_ok)).
READ_FILE_SQL = "pg_read_binary_file(path, 0, (pg_stat_file(path, true)).size, true)"


# restore_command NAME DESTINATION: the primary's pg_wal/NAME, or status 1 when it has none yet. Of the
# segment being written only the part flushed is read, zero-padded to a segment's size: replay stops at the
# zeros and asks again 200 ms later. Base64 through psql, whose exit status says whether the query worked.
FETCH_WAL = """#!/bin/sh
set -eu
{psql} -XAtq -v ON_ERROR_STOP=1 -v name="$1" -d {conninfo} -o "$2.base64" <<'SQL'
SELECT encode(pg_read_binary_file('pg_wal/' || :'name', 0,
    CASE WHEN :'name' = now.file_name THEN now.file_offset ELSE (pg_stat_file('pg_wal/' || :'name', true)).size END,
    true), 'base64') AS content
FROM pg_walfile_name_offset(pg_current_wal_flush_lsn()) AS now
WHERE :'name' <= now.file_name AND (pg_stat_file('pg_wal/' || :'name', true)).size IS NOT NULL
SQL
if [ ! -s "$2.base64" ]; then rm -f "$2.base64"; exit 1; fi
base64 -d "$2.base64" > "$2"
rm -f "$2.base64"
if [ ${{#1}} -eq 24 ]; then truncate -s {segment_bytes} "$2"; fi
"""


@dataclass
class Primary:
    host: str
    port: int
    user: str
    dbname: str
    password: str = ""

    @classmethod
    def from_django(cls, settings_dict: dict) -> "Primary":
        return cls(
            host=settings_dict["HOST"] or "127.0.0.1",
            port=int(settings_dict["PORT"] or 5432),
            user=settings_dict["USER"] or "postgres",
            dbname=settings_dict["NAME"],
            password=settings_dict.get("PASSWORD") or "",
        )

    def conninfo(self) -> str:
        options = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        return psycopg.conninfo.make_conninfo(**options, **({"password": self.password} if self.password else {}))

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(), autocommit=True)


@dataclass
class Replica:
    primary: Primary
    root: Path  # holds data/, sockets/ and the server's log
    port: int
    bin_dir: Path
    run_as: str | None
    method: str = ""
    keeper: psycopg.Connection | None = field(default=None, repr=False)  # wal-shipping: the slot's session

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sockets"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=self.primary.user,
            dbname=self.primary.dbname,
            autocommit=True,
        )

    def django_settings(self, primary_settings: dict) -> dict:
        """The primary's Django settings pointed at this server (the same database names: it is a copy)."""
        options = dict(primary_settings.get("OPTIONS") or {}) | {"connect_timeout": 3}
        test = dict(primary_settings.get("TEST") or {}, MIRROR="default")  # read-only: never flushed by tests
        return dict(primary_settings, HOST=str(self.socket_dir), PORT=str(self.port), OPTIONS=options, TEST=test)

    def wait_for_replay(self, lsn: str, timeout: float = 60) -> None:
        """Until the standby has replayed the primary's WAL up to `lsn` (pg_current_wal_lsn() there)."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(psycopg.OperationalError), self.connect() as connection:
                sql = "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= %s::pg_lsn"
                if connection.execute(sql, [lsn]).fetchone()[0]:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby did not replay up to {lsn}:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def pg_ctl(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *arguments], self, check=check)

    def stop(self) -> None:
        """Stop at once, as a crash would (no shutdown checkpoint)."""
        self.pg_ctl("-w", "-m", "immediate", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        if self.keeper is not None:
            self.keeper.close()  # ends the backup's session: its temporary slot goes with it
        shutil.rmtree(self.root, ignore_errors=True)


def start_replica(primary: Primary) -> Replica:
    """A running hot standby of `primary`'s server that has replayed everything written before the call.
    Remove it with `replica.remove()` (stops it and deletes its files)."""
    with primary.connect() as connection:
        version = int(connection.execute("SHOW server_version_num").fetchone()[0])
        data_directory = connection.execute("SHOW data_directory").fetchone()[0]
        matched = {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in MATCHED_SETTINGS}
        cluster_bytes = connection.execute("SELECT sum(pg_database_size(oid)) FROM pg_database").fetchone()[0]
    run_as = _server_user(data_directory) if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="plum-replica-", dir=_scratch_folder(int(cluster_bytes))))
    replica = Replica(primary, root, _free_port(), _binaries(version // 10000), run_as)
    try:
        replica.socket_dir.mkdir()
        _hand_over(replica.root, run_as)
        _hand_over(replica.socket_dir, run_as)
        source = ["-h", primary.host, "-p", str(primary.port), "-U", primary.user]
        basebackup = [str(replica.bin_dir / "pg_basebackup"), *source, "-D", str(replica.data_dir), *STREAMING_COPY]
        streamed = _run(basebackup, replica, check=False)
        if streamed.returncode == 0:
            replica.method = "streaming"
        else:
            shutil.rmtree(replica.data_dir, ignore_errors=True)
            replica.method = "wal-shipping"
            _copy_over_sql(replica)
        _configure(replica, matched)
        replica.pg_ctl("-w", "-t", "60", "-l", str(replica.root / "server.log"), "start")
        with primary.connect() as connection:
            replica.wait_for_replay(connection.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
    except BaseException:
        print(replica.log(), file=sys.stderr)
        replica.remove()
        raise
    return replica


def _copy_over_sql(replica: Replica) -> None:
    """A base backup of the primary over an ordinary connection (see the module's docstring)."""
    keeper = replica.keeper = replica.primary.connect()
    slot = f"plum_test_replica_{secrets.token_hex(4)}"
    keeper.execute("SELECT pg_create_physical_replication_slot(%s, true, true)", [slot])
    keeper.execute("SELECT pg_backup_start(%s, true)", [slot])
    with replica.primary.connect() as reader:
        tree = reader.execute(FILE_TREE_SQL, [list(EMPTY_FOLDERS)]).fetchall()
        replica.data_dir.mkdir(mode=0o700)
        for path, isdir in tree:
            if isdir:
                (replica.data_dir / path).mkdir(mode=0o700)
        files = [path for path, isdir in tree if not isdir and _copied(path)]
        for start in range(0, len(files), 200):
            chunk = files[start : start + 200]
            sql = f"SELECT path, {READ_FILE_SQL} FROM unnest(%s::text[]) AS path"  # noqa: S608 - a constant
            for path, content in reader.cursor(binary=True).execute(sql, [chunk]):
                if content is not None:  # removed meanwhile (a temporary file): replay knows
                    (replica.data_dir / path).write_bytes(content)
    label, tablespace_map = keeper.execute("SELECT labelfile, spcmapfile FROM pg_backup_stop(false)").fetchone()
    (replica.data_dir / "backup_label").write_text(label)
    if tablespace_map:
        (replica.data_dir / "tablespace_map").write_text(tablespace_map)
    fetch = replica.root / "fetch-wal"
    segment_bytes = keeper.execute("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'").fetchone()[0]
    psql, conninfo = shlex.quote(str(replica.bin_dir / "psql")), shlex.quote(replica.primary.conninfo())
    fetch.write_text(FETCH_WAL.format(psql=psql, conninfo=conninfo, segment_bytes=int(segment_bytes)))
    fetch.chmod(0o755)
    _hand_over(fetch, replica.run_as)
    with open(replica.data_dir / "postgresql.auto.conf", "a") as conf:
        conf.write(f"restore_command = {_quoted(shlex.join([str(fetch), '%f', '%p']))}\n")
        conf.write("wal_retrieve_retry_interval = '200ms'\n")
    (replica.data_dir / "standby.signal").touch()
    for name, text in (("postgresql.conf", ""), ("pg_hba.conf", "local all all trust\n"), ("pg_ident.conf", "")):
        if not (replica.data_dir / name).exists():  # Debian keeps them in /etc, out of the data folder
            (replica.data_dir / name).write_text(text)
    _hand_over(replica.data_dir, replica.run_as, recursive=True)


def _copied(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path not in SKIPPED_FILES and not name.startswith((".s.PGSQL", "pgsql_tmp", "pg_internal.init"))


def _configure(replica: Replica, matched: dict[str, str]) -> None:
    settings = {
        "port": str(replica.port),
        "listen_addresses": "",
        "unix_socket_directories": str(replica.socket_dir),
        "hot_standby": "on",
        "logging_collector": "off",
        "fsync": "off",  # a throwaway copy: no start-up sync of every file, no flushes
        **matched,
    }
    with open(replica.data_dir / "postgresql.auto.conf", "a") as conf:
        conf.writelines(f"{name} = {_quoted(value)}\n" for name, value in settings.items())


def _scratch_folder(cluster_bytes: int) -> str | None:
    """Shared memory when it holds four copies of the cluster: writing and deleting thousands of files on
    a disk takes seconds. Otherwise the system's temporary folder."""
    shared_memory = Path("/dev/shm")  # noqa: S108 - a private folder is made inside it (mkdtemp)
    usable = shared_memory.is_dir() and os.access(shared_memory, os.W_OK)
    return str(shared_memory) if usable and shutil.disk_usage(shared_memory).free > 4 * cluster_bytes else None


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _binaries(major: int) -> Path:
    """The bin folder of PostgreSQL `major`: the pgserver wheel's (the embedded server) or Debian's."""
    candidates = [Path(SYSTEM_BINARIES.format(major=major))]
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.insert(0, Path(POSTGRES_BIN_PATH))
    for folder in candidates:
        if (folder / "pg_ctl").exists():
            version = [str(folder / "pg_ctl"), "--version"]
            answer = subprocess.run(version, capture_output=True, text=True, check=True)  # noqa: S603 - PostgreSQL's
            if answer.stdout.split()[-1].split(".")[0] == str(major):
                return folder
    raise FileNotFoundError(f"no PostgreSQL {major} binaries in {[str(c) for c in candidates]}")


def _server_user(data_directory: str) -> str:
    return pwd.getpwuid(os.stat(data_directory).st_uid).pw_name


def _hand_over(path: Path, user: str | None, recursive: bool = False) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    targets = [path] + (list(path.rglob("*")) if recursive else [])
    for target in targets:
        os.chown(target, entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], replica: Replica, check: bool) -> subprocess.CompletedProcess:
    environment = os.environ | ({"PGPASSWORD": replica.primary.password} if replica.primary.password else {})
    answer = subprocess.run(  # noqa: S603 - PostgreSQL's own programs with arguments built here
        command, user=replica.run_as, cwd=replica.root, env=environment, capture_output=True, text=True, check=False
    )
    if check and answer.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{answer.stdout}{answer.stderr}\n{replica.log()}")
    return answer
