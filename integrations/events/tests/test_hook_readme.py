"""README.md's "A KPI webhook turning into points" runs as written: its ```sh blocks, alone and in order, in
one `bash -e -o pipefail` against a live server seeded by `plum_demo` (only the base URL replaced), end with
the event credited and the points in the wallet. (tests/test_readme_examples.py runs them too, with the
whole README.)"""

import json
import os
import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.events.models import Event, HookEndpoint, HookReceipt
from points.models import PointsRequest

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = "## A KPI webhook turning into points\n"
BASE_URL = "http://127.0.0.1:8000"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)


def section_blocks() -> list[str]:
    text = README.read_text()
    assert text.count(HEADING) == 1
    section = text.split(HEADING)[1].split("\n## ")[0]
    return SH_BLOCK.findall(section)


def test_the_section_shows_every_step():
    script = "\n".join(section_blocks())
    for step in (
        "/api/v1/integrations/rules/",
        "/api/v1/integrations/hook-endpoints/",
        '"$HOOK_URL"',
        "webhook-signature: v1,",
        "/api/v1/events/dbx-evt-1001/",
        "/api/v1/wallets/E00042/",
    ):
        assert step in script, step
    assert all(re.search(r"curl -s?f", line) for line in script.splitlines() if re.search(r"(^|[\s($])curl\s", line))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_kpi_webhook_section_runs_as_written(live_server, tmp_path):
    demo = StringIO()
    call_command("plum_demo", "--json", stdout=demo)
    client = json.loads(demo.getvalue())
    script = "\n".join(section_blocks()).replace(BASE_URL, live_server.url)

    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "CLIENT_ID": client["client_id"],
            "CLIENT_SECRET": client["client_secret"],
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    answers = [json.loads(line) for line in result.stdout.replace("}{", "}\n{").splitlines() if line.strip()]
    rule, posted, event, wallet = answers
    assert posted == event
    assert (event["event_id"], event["type"], event["employee_id"]) == (
        "dbx-evt-1001",
        "kpi.threshold_crossed",
        "E00042",
    )
    assert [(r["rule"], r["status"], r["points"]) for r in event["rewards"]] == [(rule["id"], "credited", 500)]
    assert wallet["balance"] == 500
    endpoint = HookEndpoint.objects.get()
    assert event["source"] == f"hook:{endpoint.id}"
    assert list(HookReceipt.objects.values_list("webhook_id", flat=True)) == ["msg_dbx_evt_1001"]
    assert Event.objects.count() == 1
    assert PointsRequest.objects.get(employee__employee_id="E00042").source == "rule:Darwinbox KPI met"
