"""The load test's harness (benchmarks.load) end to end, small: a few locust users for a few seconds against
gunicorn (and a Celery worker when REDIS_URL is set) on the pytest database. It proves the harness prepares,
drives, checks and reports; the real figures come from `make load`."""

import json

import pytest
from django.conf import settings
from django.db import connection

from benchmarks import common, load

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
FIGURES = {"requests", "failures", "requests_per_second", "average_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"}


@pytest.fixture
def harness_env(monkeypatch, tmp_path):
    """The servers the harness starts use the pytest database and this process's keys; results go to tmp."""
    monkeypatch.setenv("DATABASE_URL", _pytest_database_url())
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    monkeypatch.setenv("PLUM_VOUCHER_KEY", settings.VOUCHER_CODE_KEY)
    monkeypatch.setenv("PLUM_ALLOW_EPHEMERAL_SECRET", "1")
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    return tmp_path


def _pytest_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    if (db["HOST"] or "").startswith("/"):  # the embedded server's socket directory
        return f"postgres://{auth}@/{db['NAME']}?host={db['HOST']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_short_run_passes_and_reports_figures_per_kind(harness_env):
    arguments = ["--users", "6", "--seconds", "6", "--think", "0.1", "0.3", "--employees", "10", "--stock", "30"]
    code = load.main([*arguments, "--workers", "1", "--threads", "4", "--celery-concurrency", "1"])

    document = json.loads((harness_env / "load.json").read_text())
    assert code == 0, document["problems"]
    assert document["passed"] and document["problems"] == []
    results = document["results"]
    assert {"credit", "graphql employees", "graphql points requests", "order"} <= set(results["kinds"])
    for figures in [results["total"], *results["kinds"].values()]:
        assert set(figures) >= FIGURES
    assert results["total"]["requests"] > 20
    assert results["error_rate"] == 0 and results["server_errors"] == 0 and results["rate_limited"] == 0
    assert all(found == [] for found in results["checks"].values())
    assert len(results["organisations"]) == 2  # users of both organisations ran
    assert all(tally["credited"] > 0 for tally in results["organisations"].values())
    assert document["machine"]["cores"] and document["parameters"]["users"] == 6
