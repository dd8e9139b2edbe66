"""The embedded PostgreSQL lives as long as the commands that use it: `make test` and `make run` (even
stopped with Ctrl-C or SIGTERM) leave no server behind, the last of two commands stops it, one already
running is left alone, and `make clean-db` removes the data, even after a crash left a stale pid file.
Each test runs its own server in a data folder of its own."""

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
    shutil.rmtree(path.with_name(path.name + ".holders"), ignore_errors=True)


def environment(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"PLUM_PGDATA": str(data_dir)}


def wrapped(data_dir: Path, *command: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plum.embedded_server", "run", *command], cwd=ROOT, env=environment(data_dir), **options
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


SERVE = START_SERVER + "; import time; time.sleep(120)"


def test_ctrl_c_stops_the_command_and_then_the_server(data_dir):
    process = wrapped(data_dir, sys.executable, "-c", SERVE, start_new_session=True)
    wait_for(lambda: running_pid(data_dir) is not None)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends to the whole foreground group
    assert process.wait(timeout=60) != 0
    assert running_pid(data_dir) is None


def test_sigterm_to_the_wrapper_reaches_the_command_and_stops_the_server(data_dir):
    process = wrapped(data_dir, sys.executable, "-c", SERVE)
    wait_for(lambda: running_pid(data_dir) is not None)
    process.terminate()
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert running_pid(data_dir) is None


def test_the_last_of_two_commands_stops_the_server(data_dir):
    first = wrapped(data_dir, sys.executable, "-c", SERVE, start_new_session=True)
    wait_for(lambda: running_pid(data_dir) is not None)
    second = wrapped(data_dir, sys.executable, "-c", SERVE, start_new_session=True)
    time.sleep(3)  # the second has joined and connected
    os.killpg(first.pid, signal.SIGINT)
    first.wait(timeout=60)
    assert running_pid(data_dir) is not None  # the second still uses it
    os.killpg(second.pid, signal.SIGINT)
    second.wait(timeout=60)
    assert running_pid(data_dir) is None


def test_a_stale_pid_file_of_another_process_is_no_server_and_clean_db_still_removes_the_data(data_dir):
    start_server(data_dir)
    subprocess.run([sys.executable, "-m", "plum.embedded_server", "stop"], cwd=ROOT, env=environment(data_dir))
    sleeper = subprocess.Popen(["sleep", "60"])  # a live process that is not postgres holds the old number
    try:
        (data_dir / "postmaster.pid").write_text(f"{sleeper.pid}\n{data_dir}\n")
        assert running_pid(data_dir) is None
        remove(data_dir)
        assert not data_dir.exists()
        assert sleeper.poll() is None  # nothing signalled it
    finally:
        sleeper.kill()


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
        [sys.executable, "-m", "plum.embedded_server", "remove"], cwd=ROOT, env=environment(data_dir), check=True
    )
    assert result.returncode == 0
    assert not data_dir.exists()
    shutil.rmtree(data_dir, ignore_errors=True)
