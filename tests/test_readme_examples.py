"""Every shell example of README.md and docs/api.md runs as written, against a live server with `make run`'s
demo data.

The convention (stated in both documents): a ```sh block is executed; a ```console block (commands after a
`$` prompt: make, docker, a value only the reader has) is not. All ```sh blocks run in document order in one
`bash -e -o pipefail`, with only the base URL http://127.0.0.1:8000 replaced by the live server's and
CLIENT_ID/CLIENT_SECRET set as `make run` prints them. A `curl` shim records each call's method, URL,
status and answer, so the test checks every call ran and got the status its endpoint should answer.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/api.md")
BASE_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```([^\s`]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
SHELL_LANGUAGES = {"sh", "bash", "shell", "zsh", "console", "shell-session"}
# What a ```console block may hold: the commands a test cannot run. An API call is never one of them.
NOT_RUN_COMMANDS = re.compile(
    r"^(([A-Z_]+=\S* )*make( [\w-]+)*|docker compose .*|cp \.env\.example \.env|export CLIENT_ID=\S+ CLIENT_SECRET=\S+"
    r"|(\.venv/bin/)?python manage\.py \w+.*)$"
)
CURL_COMMAND = re.compile(r"(?:^|[\s($|])curl\s")

# Answers other than 200, by method and path; every other call must answer 200.
STATUS_BY_ENDPOINT = [
    (r"POST /api/v1/employees/$", {201}),
    (r"POST /api/v1/programmes/$", {201}),
    (r"POST /api/v1/points/requests/$", {201, 202}),  # checked against the answer's status below
    (r"POST /api/v1/points/batches/$", {202}),
    (r"POST /api/v1/points/uploads/$", {201}),
    (r"POST /api/v1/points/uploads/[^/]+/confirm/$", {202}),
    (r"POST /api/v1/vouchers/orders/$", {201}),
    (r"POST /api/v1/vouchers/campaigns/$", {202}),
    (r"POST /api/v1/integrations/rules/$", {201}),
    (r"POST /api/v1/integrations/hook-endpoints/$", {201}),
    (r"POST /hooks/[A-Za-z0-9_-]+/$", {201}),
]
# The error examples: each must be shown, answer this status and name the parameter at fault.
ERROR_EXAMPLES = {r"GET /api/v1/employees/\?contry=GB$": (400, "contry")}

CURL_SHIM = """#!{python}
import json, os, subprocess, sys
MARK = "\\n@@plum-curl@@"
run = subprocess.run([os.environ["PLUM_REAL_CURL"], *sys.argv[1:], "-w", "%{{stderr}}" + MARK + "%{{json}}"],
                     capture_output=True)
sys.stdout.buffer.write(run.stdout)
sys.stdout.flush()
errors, _, written = run.stderr.decode(errors="replace").rpartition(MARK)
sys.stderr.write(errors)
call = json.loads(written)
with open(os.environ["PLUM_CURL_LOG"], "a") as log:
    log.write(json.dumps({{"method": call["method"], "url": call["url_effective"], "status": call["http_code"],
                          "exit": run.returncode, "body": run.stdout.decode(errors="replace")[:65536]}}) + "\\n")
sys.exit(run.returncode)
"""


def fenced_blocks() -> list[tuple[str, str, str]]:
    """(document, language, text) of every fenced block, in the order the test runs them."""
    return [(name, m.group(1), m.group(2)) for name in DOCUMENTS for m in FENCE.finditer((ROOT / name).read_text())]


def executed_blocks() -> list[str]:
    return [text for _, language, text in fenced_blocks() if language == "sh"]


def console_commands() -> list[str]:
    """The commands of the ```console blocks (continuation lines joined): listed, counted, never run."""
    commands = []
    for _, language, text in fenced_blocks():
        if language == "console":
            lines = text.replace("\\\n", " ").splitlines()
            commands += [re.sub(r"\s+#.*$", "", line[2:]).strip() for line in lines if line.startswith("$ ")]
    return commands


def path_of(url: str, live_url: str) -> str:
    return url.removeprefix(live_url)


def endpoint_of(path: str) -> str:
    """/api/v1/vouchers/<uuid>/cancel/?x=1 -> /api/v1/vouchers/{id}/cancel/"""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}", path.split("?")[0])


def test_shell_blocks_follow_the_convention():
    languages = [language for _, language, _ in fenced_blocks() if language in SHELL_LANGUAGES]
    assert set(languages) <= {"sh", "console"}, "shell examples are ```sh (run by this test) or ```console (not run)"
    assert languages.count("sh") >= 20, "the examples went missing"
    commands = console_commands()
    print(f"\n{len(commands)} commands in ```console blocks are not run:", *commands, sep="\n  ")
    assert commands, "console blocks hold commands after a '$ ' prompt"
    not_allowed = [command for command in commands if not NOT_RUN_COMMANDS.match(command)]
    assert not not_allowed, f"these can run as ```sh examples: {not_allowed}"
    for _, language, text in fenced_blocks():
        if language == "console":
            assert not CURL_COMMAND.search(text), f"an API call must be a ```sh example: {text}"


def test_every_curl_fails_on_an_error_status_unless_it_is_an_error_example():
    """`curl -f`: a call that goes wrong stops the examples, instead of printing an error nobody checks."""
    for block in executed_blocks():
        for command in block.replace("\\\n", " ").split("curl ")[1:]:
            command = command.split("\n")[0]
            if re.search(r"(?<!\S)(-[a-zA-Z]*f[a-zA-Z]*|--fail|--fail-with-body)(?!\S)", command):
                continue
            url = re.search(r"http://127\.0\.0\.1:8000([^'\"\s]*)", command).group(1)
            assert any(re.fullmatch(pattern, f"GET {url}") for pattern in ERROR_EXAMPLES), command


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_shell_examples_run_as_written_against_a_live_server(live_server, tmp_path):
    demo = StringIO()
    call_command("plum_demo", "--json", stdout=demo)
    client = json.loads(demo.getvalue())

    real_curl = shutil.which("curl")
    assert real_curl, "curl is needed (apt-get install curl)"
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    (shim_dir / "curl").write_text(CURL_SHIM.format(python=sys.executable))
    (shim_dir / "curl").chmod(0o755)
    log_path = tmp_path / "curl.jsonl"
    work_dir = tmp_path / "work"  # examples may write files (points.csv)
    work_dir.mkdir()

    blocks = executed_blocks()
    script = "\n".join(block.replace(BASE_URL, live_server.url) for block in blocks)
    assert BASE_URL not in script
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=work_dir,
        env={
            "PATH": f"{shim_dir}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "CLIENT_ID": client["client_id"],
            "CLIENT_SECRET": client["client_secret"],
            "PLUM_REAL_CURL": real_curl,
            "PLUM_CURL_LOG": str(log_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    calls = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    last = calls[-1] if calls else None
    assert result.returncode == 0, f"stopped after {len(calls)} calls; last {last}\n{result.stderr[-3000:]}"

    expected_calls = sum(len(CURL_COMMAND.findall(block)) for block in blocks)
    assert len(calls) == expected_calls, "every curl of the examples ran exactly once"
    shown_errors = set()
    for call in calls:
        request = f"{call['method']} {path_of(call['url'], live_server.url)}"
        if error := next((pattern for pattern in ERROR_EXAMPLES if re.fullmatch(pattern, request)), None):
            status, parameter = ERROR_EXAMPLES[error]
            assert call["status"] == status, call
            assert [e["field"] for e in json.loads(call["body"])["errors"]] == [parameter], call
            shown_errors.add(error)
            continue
        allowed = next((codes for pattern, codes in STATUS_BY_ENDPOINT if re.fullmatch(pattern, request)), {200})
        assert call["status"] in allowed and call["exit"] == 0, call
        if request.endswith("/points/requests/"):
            status = json.loads(call["body"])["status"]
            assert (call["status"], status) in ((201, "credited"), (202, "pending_approval")), call
        if request.startswith("POST /graphql/"):
            answer = json.loads(call["body"])
            assert "errors" not in answer, call
            for field in answer["data"].values():
                assert not (isinstance(field, dict) and field.get("errors")), call
    assert shown_errors == set(ERROR_EXAMPLES)
    methods = {(c["method"], endpoint_of(path_of(c["url"], live_server.url))) for c in calls}
    for endpoint in (
        ("POST", "/api/v1/points/requests/{id}/approve/"),
        ("POST", "/api/v1/points/requests/{id}/reject/"),
        ("POST", "/api/v1/points/requests/{id}/reverse/"),
        ("POST", "/api/v1/points/batches/"),
        ("POST", "/api/v1/points/uploads/"),
        ("POST", "/api/v1/vouchers/orders/"),
        ("POST", "/api/v1/vouchers/{id}/cancel/"),
        ("POST", "/api/v1/vouchers/redeem/"),
        ("POST", "/api/v1/vouchers/campaigns/"),
        ("POST", "/graphql/"),
    ):
        assert endpoint in methods, f"no example calls {endpoint}"
