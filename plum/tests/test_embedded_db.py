"""The embedded PostgreSQL lives as long as the command that started it: `make test` and `make run` (even
stopped with Ctrl-C) leave no server behind, one already running is left alone, and `make clean-db`
removes the data. Each test runs its own server in a data folder of its own."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plum.embedded_db import remove, running_pid

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
START_SERVER = "from plum.embedded_db import embedded_database; embedded_database()"


@pytest.fixture
def data_dir():
    # Under var/, not /tmp/pytest-of-root: the server runs as pgserver's own user, who must reach the folder.
    path = ROOT / "var" / f"test-pgdata-{secrets.token_hex(4)}"
    yield path
    remove(path)


def environment(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"PLUM_PGDATA": str(data_dir)}


def wrapped(data_dir: Path, *command: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plum.embedded_db", "run", *command], cwd=ROOT, env=environment(data_dir), **options
    )


def start_server(data_dir: Path) -> None:
    subprocess.run([sys.executable, "-c", START_SERVER], cwd=ROOT, env=environment(data_dir), check=True)


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_command_that_starts_the_server_stops_it_when_it_ends(data_dir):
    assert wrapped(data_dir, sys.executable, "-c", START_SERVER).wait(timeout=120) == 0
    assert (data_dir / "PG_VERSION").exists()  # it really ran
    assert running_pid(data_dir) is None


def test_the_exit_status_of_the_command_is_kept(data_dir):
    assert wrapped(data_dir, sys.executable, "-c", START_SERVER + "; raise SystemExit(3)").wait(timeout=120) == 3
    assert running_pid(data_dir) is None


def test_ctrl_c_stops_the_command_and_then_the_server(data_dir):
    serve = START_SERVER + "; import time; time.sleep(120)"
    process = wrapped(data_dir, sys.executable, "-c", serve, start_new_session=True)
    wait_for(lambda: running_pid(data_dir) is not None)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends to the whole foreground group
    assert process.wait(timeout=60) != 0
    assert running_pid(data_dir) is None


def test_a_server_running_before_the_command_is_left_running(data_dir):
    start_server(data_dir)
    pid = running_pid(data_dir)
    assert pid is not None
    assert wrapped(data_dir, sys.executable, "-c", START_SERVER).wait(timeout=120) == 0
    assert running_pid(data_dir) == pid


def test_clean_db_stops_the_server_and_removes_its_data(data_dir):
    start_server(data_dir)
    assert running_pid(data_dir) is not None
    result = subprocess.run(
        [sys.executable, "-m", "plum.embedded_db", "remove"], cwd=ROOT, env=environment(data_dir), check=True
    )
    assert result.returncode == 0
    assert not data_dir.exists()
    shutil.rmtree(data_dir, ignore_errors=True)
