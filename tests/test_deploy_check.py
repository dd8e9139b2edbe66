"""Production settings as .env.example documents them pass Django's deploy check, and the load balancer's
plain-HTTP probes of /healthz and /readyz are answered, not redirected to HTTPS."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent
ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")  # commented-out lines are optional and stay unset
REQUIRED_SECRETS = ("SECRET_KEY", "PLUM_VOUCHER_KEY")  # empty in the example: every deployment makes its own
PRODUCTION_SWITCHES = {
    "DEBUG": "0",
    "BEHIND_TLS_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def env_example() -> dict[str, str]:
    return {
        m.group(1): m.group(2)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if (m := ENV_LINE.match(line))
    }


def database_url_of_this_run() -> str:
    """The PostgreSQL this test run uses, as a URL (a socket directory as a percent-encoded host)."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    db = settings.DATABASES["default"]
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db.get('USER') or 'postgres'}@{quote(db['HOST'], safe='')}{port}/{db['NAME']}"


def production_environment() -> dict[str, str]:
    """Only what .env.example sets (secrets filled in as an operator would), nothing from this process."""
    environment = env_example()
    for name in REQUIRED_SECRETS:
        assert environment[name] == "", f"{name} must stay empty in .env.example"
    environment["SECRET_KEY"] = secrets.token_urlsafe(50)
    environment["PLUM_VOUCHER_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    environment["DATABASE_URL"] = database_url_of_this_run()
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environment}


def test_env_example_describes_production_behind_a_tls_proxy():
    environment = env_example()
    assert {name: environment.get(name) for name in PRODUCTION_SWITCHES} == PRODUCTION_SWITCHES
    assert int(environment["SECURE_HSTS_SECONDS"]) >= 31_536_000  # a year, as preload lists require
    assert environment["ALLOWED_HOSTS"] and "*" not in environment["ALLOWED_HOSTS"]
    assert all(origin.startswith("https://") for origin in environment["CSRF_TRUSTED_ORIGINS"].split(","))


def test_deploy_check_passes_without_a_warning_on_the_env_example_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_deploy_check_does_warn_when_the_tls_switches_are_off():
    """The check above can fail: with the development defaults it names each missing switch."""
    environment = production_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        environment[name] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    warned = set(re.findall(r"\(security\.(W\d+)\)", output))
    assert warned == {"W004", "W008", "W012", "W016"}, output


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_probes_answer_over_plain_http_when_https_is_enforced(path):
    response = Client().get(path)  # a new client loads the middleware with these settings
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
@pytest.mark.parametrize("path", ["/api/v1/employees/", "/graphql/", "/admin/login/", "/oauth/token/", "/healthz/x"])
def test_everything_else_over_plain_http_is_redirected_to_https(path):
    response = Client().get(path)
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{path}"


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
)
def test_requests_the_tls_proxy_forwarded_as_https_are_served_with_hsts():
    response = Client().get("/api/v1/employees/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 401  # served (and refused for want of a token), not redirected
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
