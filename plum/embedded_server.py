"""The embedded PostgreSQL's lifetime, for the Makefile: `python -m plum.embedded_server run COMMAND…`
(make run, make test), `stop`, `remove` (make clean-db).

A server started under `run` lives as long as the commands that use it: each `run` is a holder (a pid
file in var/pgdata.holders/, under a lock), and the last holder to end stops the server, however it ends
(Ctrl-C, SIGTERM, SIGHUP). A server that was running before any holder came (started some other way) is
never stopped by them. Only the embedded server: with DATABASE_URL set, `run` just runs the command.
"""

import fcntl
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from plum.embedded_db import DEFAULT_DATA_DIR, remove, running_pid, stop

FORWARDED = (signal.SIGTERM, signal.SIGHUP)


class Holders:
    """The commands using the server of `data_dir`, and whether they started it."""

    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR):
        self.folder = data_dir.with_name(data_dir.name + ".holders")
        self.data_dir = data_dir

    @contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _alive(self) -> list[Path]:
        alive = []
        for entry in self.folder.glob("*.pid"):
            try:
                os.kill(int(entry.stem), 0)
                alive.append(entry)
            except (ValueError, ProcessLookupError):
                entry.unlink(missing_ok=True)
            except PermissionError:
                alive.append(entry)  # another user's process: alive
        return alive

    def join(self) -> None:
        with self._locked():
            started_here = self.folder / ".started"
            if not self._alive():
                if running_pid(self.data_dir) is None:
                    started_here.touch()  # the server about to start is ours to stop
                else:
                    started_here.unlink(missing_ok=True)  # someone else's
            (self.folder / f"{os.getpid()}.pid").touch()

    def leave(self) -> bool:
        """Leave; the last holder stops a server the holders started. Answers whether it stopped one."""
        with self._locked():
            (self.folder / f"{os.getpid()}.pid").unlink(missing_ok=True)
            started_here = self.folder / ".started"
            if self._alive() or not started_here.exists():
                return False
            started_here.unlink()
            return stop(self.data_dir)


def run(command: list[str], holders: Holders) -> int:
    """Run `command` as a holder. Ctrl-C reaches the command from the terminal (this process ignores it and
    waits); SIGTERM and SIGHUP sent to this process are passed on to it."""
    holders.join()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        child = subprocess.Popen(command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: S603
        for forwarded in FORWARDED:
            signal.signal(forwarded, lambda number, _frame: child.send_signal(number))
        code = child.wait()
        return 128 - code if code < 0 else code  # killed by signal N: the shell's 128 + N
    finally:
        if holders.leave():
            print("Embedded PostgreSQL stopped")


USAGE = "usage: python -m plum.embedded_server stop | remove | run COMMAND..."

if __name__ == "__main__":
    action, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if action == "stop" and not rest:
        print("Embedded PostgreSQL stopped" if stop() else "Embedded PostgreSQL was not running")
    elif action == "remove" and not rest:
        remove()
        print(f"Embedded PostgreSQL data removed ({DEFAULT_DATA_DIR})")
    elif action == "run" and rest:
        if os.environ.get("DATABASE_URL"):
            sys.exit(subprocess.call(rest))  # noqa: S603
        sys.exit(run(rest, Holders()))
    else:
        sys.exit(USAGE)
