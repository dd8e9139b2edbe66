"""The only settings module. Everything comes from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("PLUM_ALLOW_EPHEMERAL_SECRET", default=False):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY is not set (make run writes one into .env).")
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = get_random_secret_key()

# Voucher codes and PINs: encrypted with this key (AES-256-GCM) and found by a keyed hash derived from it.
# Without it, developer mode and tests use a fixed, public development key (a system check warns).
VOUCHER_CODE_KEY = env("PLUM_VOUCHER_KEY", default="")
if not VOUCHER_CODE_KEY and not DEBUG and not env.bool("PLUM_ALLOW_EPHEMERAL_SECRET", default=False):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PLUM_VOUCHER_KEY is not set (make run writes one into .env).")
# Key rotation (docs/keys-and-sign-in.md): the old key stays readable as *_PREVIOUS until
# `manage.py plum_rotate_voucher_key` has rewritten every code. The lookup hash's key is not rotated:
# it defaults to PLUM_VOUCHER_KEY and must be pinned (to the first key) before a rotation starts.
VOUCHER_CODE_KEY_PREVIOUS = env("PLUM_VOUCHER_KEY_PREVIOUS", default="")
VOUCHER_LOOKUP_KEY = env("PLUM_VOUCHER_LOOKUP_KEY", default="")
if VOUCHER_CODE_KEY_PREVIOUS and not VOUCHER_LOOKUP_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "PLUM_VOUCHER_KEY_PREVIOUS is set but PLUM_VOUCHER_LOOKUP_KEY is not: pin the lookup key to the "
        "PLUM_VOUCHER_KEY in use before any rotation (docs/keys-and-sign-in.md)."
    )
# Integration secrets (hook, webhook, HRMS, Slack/Teams): their own key, following PLUM_VOUCHER_KEY while
# unset; rotated by `manage.py plum_rotate_integration_key`.
INTEGRATION_SECRET_KEY = env("PLUM_INTEGRATION_KEY", default="")
INTEGRATION_SECRET_KEY_PREVIOUS = env("PLUM_INTEGRATION_KEY_PREVIOUS", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "plum.core.signin.apps.PlumAdminConfig",  # Django's admin, its sign-in with a second factor (PLUM_ADMIN_MFA)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not a CDN
    "graphene_django",
    "oauth2_provider",
    "plum",
    "plum.core",
    "plum.api",
    "users",
    "points",
    "vouchers",
    "integrations",
    "integrations.events",
    "integrations.webhooks",
    "integrations.hrms",
    "integrations.scim",
    "integrations.chat",
    "reports",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "plum.api.middleware.RequestIdMiddleware",  # first: every log line of the request carries its id
    "plum.api.errors.ProblemMiddleware",  # outermost: Django's own error pages under the API's paths
    "plum.api.outage.DatabaseUnavailableMiddleware",  # the database restarting: 503 with Retry-After
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in with the lockout page
]

ROOT_URLCONF = "plum.urls"
WSGI_APPLICATION = "plum.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only. Without DATABASE_URL an embedded server from `pgserver` is used.
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from plum.embedded_db import embedded_database

    DATABASES = {"default": embedded_database()}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
# Django turns psycopg's prepared statements off; only plum.core.db's cursors use them (Django's own
# cursors bind parameters on the client and never prepare), for the statements on every request's path.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# A database that does not answer (restarting, failing over) fails a connection attempt after this long,
# and requests answer 503 `database_unavailable` with this Retry-After (plum.api.outage), never hang or 500.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("PLUM_DB_CONNECT_TIMEOUT", default=5))
PLUM_DATABASE_RETRY_AFTER_SECONDS = env.int("PLUM_DATABASE_RETRY_AFTER_SECONDS", default=5)

# --- Read replica for reports (plum.core.replica, docs/replica.md). Unset: reports read from the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    # A replica that does not answer must not hold a request for long: the primary serves instead.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # Tests read the replica alias from the test database itself: no test database is made on the replica.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["plum.core.db_routers.PrimaryReplicaRouter"]
# Reports fall back to the primary when the replica's replay is further behind than this.
REPLICA_MAX_LAG_SECONDS = env.float("PLUM_REPLICA_MAX_LAG_SECONDS", default=30.0)
# Seconds a process keeps its verdict on the replica (answering, caught up) before asking again.
REPLICA_CHECK_SECONDS = env.float("PLUM_REPLICA_CHECK_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache. Without REDIS_URL, tasks run in-process and the cache is local.
REDIS_URL = env("REDIS_URL", default="")
# The test suite's processes under pytest-xdist share one Redis: each xdist worker (and the servers and
# Celery workers it starts, which inherit the variable) keeps its Celery keys under its own prefix and its
# cache in its own database, so one test's cache.clear() (a FLUSHDB) never drops another's queued task.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # set by pytest-xdist, never by a deployment
if REDIS_URL:
    CACHE_URL = REDIS_URL
    if TEST_WORKER:
        _redis = urlsplit(REDIS_URL)
        _cache_db = (int(_redis.path.strip("/") or 0) + 1 + int(TEST_WORKER.removeprefix("gw") or 0)) % 16
        CACHE_URL = urlunsplit(_redis._replace(path=f"/{_cache_db}"))
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if TEST_WORKER:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"plum-test-{TEST_WORKER}:"
CELERY_TASK_IGNORE_RESULT = True
# Beat reads its schedule from the database (django-celery-beat): an HRMS connection's cron needs no restart.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Calls out (webhooks, HRMS, Slack, Teams): integrations/outbound/.
# Private, loopback, link-local and metadata addresses are refused unless inside one of these CIDRs.
OUTBOUND_ALLOWED_NETWORKS = env.list("PLUM_OUTBOUND_ALLOWED_NETWORKS", default=[])
OUTBOUND_TIMEOUT_SECONDS = env.float("PLUM_OUTBOUND_TIMEOUT_SECONDS", default=10.0)
OUTBOUND_MAX_ANSWER_BYTES = env.int("PLUM_OUTBOUND_MAX_ANSWER_BYTES", default=1_048_576)
# Relayed outbox events older than this are deleted (deliveries keep their own copy of the body).
OUTBOX_RETENTION_DAYS = env.int("PLUM_OUTBOX_RETENTION_DAYS", default=7)
# Audit entries are kept this long, then purged by the hourly task (docs/audit.md).
AUDIT_RETENTION_DAYS = env.int("PLUM_AUDIT_RETENTION_DAYS", default=400)

# --- HRMS pulls (integrations/hrms/): a vendor call is tried this many times; 5xx and network failures
# wait BACKOFF, then twice that, …; a 429's Retry-After is honoured up to MAX_RETRY_AFTER (longer: the run fails).
HRMS_MAX_ATTEMPTS = env.int("PLUM_HRMS_MAX_ATTEMPTS", default=5)
HRMS_RETRY_BACKOFF_SECONDS = env.float("PLUM_HRMS_RETRY_BACKOFF_SECONDS", default=2.0)
HRMS_MAX_RETRY_AFTER_SECONDS = env.float("PLUM_HRMS_MAX_RETRY_AFTER_SECONDS", default=120.0)
HRMS_MAX_PAGE_BYTES = env.int("PLUM_HRMS_MAX_PAGE_BYTES", default=50 * 1_048_576)
# Slack's Web API (chat.postMessage, users.lookupByEmail); tests point it at a local server.
SLACK_API_URL = env.str("PLUM_SLACK_API_URL", default="https://slack.com/api/")

# --- Staff sign-in to the admin (docs/keys-and-sign-in.md). With PLUM_ADMIN_MFA=1 the admin asks for a
# second factor (a TOTP app, or a one-time recovery code); staff without one enrol at their next sign-in.
ADMIN_MFA = env.bool("PLUM_ADMIN_MFA", default=False)
OTP_TOTP_ISSUER = env("PLUM_ADMIN_MFA_ISSUER", default="Plum")
ADMIN_RECOVERY_CODES = 10
# Failed sign-ins (a wrong password or code) are counted per user name and address (django-axes): after
# PLUM_ADMIN_SIGNIN_FAILURES of them that pair is locked out for PLUM_ADMIN_SIGNIN_COOLOFF_MINUTES.
# API clients never sign in this way (OAuth client credentials), so the API is not affected.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("PLUM_ADMIN_SIGNIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PLUM_ADMIN_SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/plum_signin_locked.html"
AXES_ENABLE_ADMIN = False  # lockouts are cleared with `manage.py axes_reset_username` (or after the cool-off)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security. Off by default so development and tests speak plain HTTP; production behind a TLS proxy
# turns every switch on (.env.example), and `manage.py check --deploy` then warns about nothing
# (tests/test_deploy_check.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The load balancer's probes come over plain HTTP and must get an answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)

# Hard cap for any request body; views set their own smaller limits (plum.api.limits).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("PLUM_MAX_BODY_BYTES", default=48 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- OAuth2: client credentials only, API clients are the swapped application model.
OAUTH2_PROVIDER_APPLICATION_MODEL = "users.ApiClient"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("PLUM_TOKEN_TTL_SECONDS", default=3600),
    "SCOPES_BACKEND_CLASS": "plum.api.scopes.ClientScopesBackend",
    "CLIENT_SECRET_HASHER": "plum_client_pbkdf2",
    "PKCE_REQUIRED": False,
}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "plum.core.hashers.ClientSecretHasher",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["plum.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["plum.api.permissions.HasDeclaredScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["plum.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": env("PLUM_CLIENT_RATE", default="6000/min"),
        "token_client": env("PLUM_TOKEN_CLIENT_RATE", default="30/min"),
        "token_address": env("PLUM_TOKEN_ADDRESS_RATE", default="120/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "plum.api.pagination.CursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["plum.api.parsers.JSONParser"],
    "UNICODE_JSON": False,  # \u-escape everything: input echoed in errors may hold lone surrogates
    "EXCEPTION_HANDLER": "plum.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "plum.api.openapi.PlumAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Plum API",
    "DESCRIPTION": "Rewards platform API: employees, points, vouchers and integrations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": [],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "oauth2": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/oauth/token/", "scopes": {}}},
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "plum.api.openapi.add_scopes_and_problem_schema",
        "plum.api.openapi_rules.state_shared_rules",
        "plum.api.openapi_links.add_links",
    ],
}

GRAPHENE = {
    "SCHEMA": "plum.schema.schema",
    "RELAY_CONNECTION_MAX_LIMIT": 500,
    "RELAY_CONNECTION_ENFORCE_FIRST_OR_LAST": False,
}
PLUM_GRAPHQL = {
    "INTROSPECTION": env.bool("PLUM_GRAPHQL_INTROSPECTION", default=True),
    "GRAPHIQL": env.bool("PLUM_GRAPHIQL", default=DEBUG),
    "MAX_DEPTH": env.int("PLUM_GRAPHQL_MAX_DEPTH", default=10),
    "MAX_ALIASES": env.int("PLUM_GRAPHQL_MAX_ALIASES", default=30),
    "MAX_COST": env.int("PLUM_GRAPHQL_MAX_COST", default=50_000),
    "MAX_BATCH": env.int("PLUM_GRAPHQL_MAX_BATCH", default=10),
}

PLUM_IDEMPOTENCY_TTL = timedelta(hours=env.int("PLUM_IDEMPOTENCY_TTL_HOURS", default=48))
PLUM_IDEMPOTENCY_STALE_AFTER = timedelta(minutes=10)

# A single credit that needs no approval is one prepared statement (points/ledger/sql/points_request_credit.sql);
# off, every credit takes the general path in Python. Both write the same rows (the decision-matrix test).
POINTS_ONE_STATEMENT_CREDIT = env.bool("PLUM_POINTS_ONE_STATEMENT_CREDIT", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "plum.core.audit.context.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
