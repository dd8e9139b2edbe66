"""Deployment files checked by parsing: docker-compose.yml, Dockerfile, .dockerignore and .env.example.

No Docker engine and no database: plain functions over the files in the repository.
"""

import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat")
COMPOSE_ONLY_MARKER = "# --- docker-compose.yml only"

# env("X"), env.bool("X", ...), env.int / env.list / env.db ...; and plain os.environ / os.getenv reads.
SETTINGS_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
OS_ENVIRON_READ = re.compile(r"""\bos\.(?:environ\.get\(|environ\[|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")
COMPOSE_INTERPOLATION = re.compile(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)")  # $$ is an escaped dollar
ENV_EXAMPLE_ENTRY = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict:
    return compose()["services"]


def command_of(service: str) -> str:
    command = services()[service]["command"]
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_test(service: str) -> str:
    test = services()[service]["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


@cache
def settings_variables() -> frozenset[str]:
    text = (ROOT / "plum" / "settings.py").read_text()
    read = frozenset(SETTINGS_READ.findall(text)) | frozenset(OS_ENVIRON_READ.findall(text))
    return read - {"PYTEST_XDIST_WORKER"}  # set by the test runner in its own processes, never deployed


def env_example_sections() -> tuple[list[str], list[str]]:
    """(variables of the settings section, variables of the docker-compose section), in file order."""
    settings_part, _, compose_part = (ROOT / ".env.example").read_text().partition(COMPOSE_ONLY_MARKER)

    def names(text):
        return [m.group(1) for line in text.splitlines() if (m := ENV_EXAMPLE_ENTRY.match(line))]

    return names(settings_part), names(compose_part)


def compose_interpolated_variables() -> set[str]:
    return set(COMPOSE_INTERPOLATION.findall((ROOT / "docker-compose.yml").read_text()))


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) with continuation lines joined and heredoc bodies skipped."""
    instructions, pending, heredoc_end = [], "", None
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if heredoc_end is not None:
            if raw.strip() == heredoc_end:
                heredoc_end = None
            continue
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        if heredoc := re.search(r"<<-?['\"]?(\w+)['\"]?", arguments):
            heredoc_end = heredoc.group(1)
    return tuple(instructions)


def dockerfile(keyword: str) -> list[str]:
    return [arguments for k, arguments in dockerfile_instructions() if k == keyword]


# --- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_runs_the_whole_stack():
    assert set(services()) == {"postgres", "redis", *APP_SERVICES}
    assert services()["postgres"]["image"].startswith("postgres:16")
    assert services()["redis"]["image"].startswith("redis:7")


def test_app_services_share_one_image_built_from_the_dockerfile():
    images = {services()[name]["image"] for name in APP_SERVICES}
    builds = {yaml.safe_dump(services()[name]["build"]) for name in APP_SERVICES}
    assert len(images) == 1 and len(builds) == 1, (images, builds)
    build = services()["web"]["build"]
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()


def test_commands_start_gunicorn_celery_and_migrations():
    assert re.search(r"\bgunicorn\b.*\bplum\.wsgi(:application)?\b", command_of("web"))
    assert re.search(r"--bind[= ]0\.0\.0\.0:8000\b", command_of("web"))
    assert re.search(r"--worker-class[= ]gthread\b", command_of("web"))  # as benchmarked: threads, keep-alive
    assert re.search(r"--threads[= ]\$\{WEB_THREADS:-4\}", command_of("web"))
    assert re.search(r"--keep-alive[= ]75\b", command_of("web"))  # 2 s dropped requests under load
    assert any(str(port).endswith(":8000") for port in services()["web"]["ports"])
    assert re.search(r"\bcelery -A plum worker\b", command_of("worker"))
    assert re.search(r"\bcelery -A plum beat\b", command_of("beat"))
    assert re.search(r"\bmanage\.py migrate\b", command_of("migrate"))
    assert services()["migrate"]["restart"] == "no"


def test_health_checks_on_postgres_redis_and_web():
    assert "pg_isready" in healthcheck_test("postgres")
    assert re.search(r"redis-cli\s+ping", healthcheck_test("redis"))
    assert "/readyz" in healthcheck_test("web")
    for name in ("postgres", "redis", "web"):
        assert not services()[name]["healthcheck"].get("disable"), name


def test_non_web_services_replace_the_images_http_probe():
    """The image's HEALTHCHECK asks port 8000, where only web listens: the others must override it."""
    for name in ("migrate", "worker", "beat"):
        check = services()[name].get("healthcheck")
        assert check, f"{name} would inherit the image's /healthz probe and never become healthy"
        assert check.get("disable") is True or "8000" not in healthcheck_test(name), name


def test_migrate_runs_before_every_app_process():
    assert services()["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in LONG_RUNNING:
        assert services()[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_every_dependency_names_a_condition_its_target_can_meet():
    for name, service in services().items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert isinstance(rule, dict) and "condition" in rule, f"{name} -> {target}"
            if rule["condition"] == "service_healthy":
                assert not services()[target].get("healthcheck", {}).get("disable"), f"{name} -> {target}"


def test_app_environment_uses_the_settings_names():
    for name in APP_SERVICES:
        environment = services()[name]["environment"]
        assert set(environment) <= settings_variables(), set(environment) - settings_variables()
        for secret in ("SECRET_KEY", "PLUM_VOUCHER_KEY"):
            assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", environment[secret]), f"{secret} must be required"
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379")
        assert "ALLOWED_HOSTS" in environment
        assert str(environment["DEBUG"]) in ("0", "False", "false")
        assert "PLUM_ALLOW_EPHEMERAL_SECRET" not in environment


def test_no_service_gets_an_ephemeral_secret():
    assert "PLUM_ALLOW_EPHEMERAL_SECRET" not in (ROOT / "docker-compose.yml").read_text()


# --- Dockerfile and .dockerignore ---------------------------------------------------------------------


def test_dockerfile_builds_from_python_311_slim_and_installs_the_requirements():
    assert dockerfile("FROM")[0].startswith("python:3.11-slim")
    assert any("requirements.txt" in step and "pip install" in step for step in dockerfile("RUN"))
    assert any("collectstatic" in step for step in dockerfile("RUN"))
    assert re.search(r"gunicorn.*plum\.wsgi", dockerfile("CMD")[-1])
    assert re.search(r'"--worker-class", "gthread", "--threads", "4"', dockerfile("CMD")[-1])
    assert re.search(r'"--keep-alive", "75"', dockerfile("CMD")[-1])


def test_dockerfile_runs_as_a_non_root_user():
    users = dockerfile("USER")
    assert users, "no USER instruction: the processes would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_health_check_hits_healthz():
    checks = dockerfile("HEALTHCHECK")
    assert len(checks) == 1, "the image needs exactly one HEALTHCHECK"
    assert "/healthz" in checks[0]
    assert any("plum-healthcheck" in step for step in dockerfile("COPY")), "the probe used by compose is installed"


def test_build_time_secret_never_reaches_the_runtime_environment():
    assert not any("PLUM_ALLOW_EPHEMERAL_SECRET" in env or "SECRET_KEY" in env for env in dockerfile("ENV"))
    assert not any("SECRET_KEY" in arg for arg in dockerfile("ARG"))


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for entry in (".venv", "var", ".git", ".env", ".pytest_cache", ".ruff_cache", "**/__pycache__"):
        assert entry in ignored, entry


# --- .env.example -------------------------------------------------------------------------------------


def test_settings_variables_are_found():
    """Guards the regex itself: a pattern that finds nothing would make the next test pass vacuously."""
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= settings_variables()


def test_env_example_lists_exactly_the_variables_settings_reads():
    listed, _ = env_example_sections()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    missing = settings_variables() - set(listed)
    extra = set(listed) - settings_variables()
    assert not missing, f"plum/settings.py reads {sorted(missing)}: add them to .env.example"
    assert not extra, f".env.example lists {sorted(extra)}, which plum/settings.py does not read"


def test_env_example_compose_section_lists_exactly_the_variables_compose_adds():
    _, listed = env_example_sections()
    added = compose_interpolated_variables() - settings_variables()
    assert set(listed) == added, f"docker-compose.yml reads {sorted(added)}; .env.example lists {sorted(listed)}"


def test_every_env_example_variable_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if ENV_EXAMPLE_ENTRY.match(line):
            above = lines[number - 1]
            assert above.startswith("# ") and not ENV_EXAMPLE_ENTRY.match(above), f"line {number + 1}: {line}"


def test_env_example_holds_no_real_secret():
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith(("SECRET_KEY=", "PLUM_VOUCHER_KEY=", "# POSTGRES_PASSWORD=")):
            value = line.split("=", 1)[1]
            assert value in ("", "change-me"), line
