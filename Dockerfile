# syntax=docker/dockerfile:1
# One image for every Plum process; docker-compose.yml picks the command:
#   web     gunicorn plum.wsgi:application (the default CMD)
#   worker  celery -A plum worker
#   beat    celery -A plum beat
#   migrate python manage.py migrate --noinput
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=plum.settings

RUN groupadd --system --gid 10001 plum \
    && useradd --system --uid 10001 --gid plum --home-dir /app --no-create-home --shell /usr/sbin/nologin plum

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are baked into the image (served by WhiteNoise). Settings need a secret and a database
# URL to import; these throwaway values exist only for this RUN (never ENV) and nothing connects.
RUN PLUM_ALLOW_EPHEMERAL_SECRET=1 \
    DATABASE_URL=postgres://build:build@127.0.0.1:1/build \
    python manage.py collectstatic --noinput --verbosity 0

# Health probe for /healthz (the image) and /readyz (compose's web service). It sends a Host header that
# ALLOWED_HOSTS accepts, because Django refuses any other with 400 even on the health endpoints.
COPY --chmod=0755 <<'EOF' /usr/local/bin/plum-healthcheck
#!/usr/bin/env python3
"""Exit 0 when GET http://127.0.0.1:8000<path> (default /healthz) answers 2xx."""
import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
allowed = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
host = next((h.lstrip(".") for h in allowed if h != "*"), "localhost")
request = urllib.request.Request(f"http://127.0.0.1:8000{path}", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as exc:
    print(f"{path}: {exc}", file=sys.stderr)
    sys.exit(1)
EOF

# The code and static files stay owned by root: the app cannot rewrite itself.
USER plum

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["plum-healthcheck", "/healthz"]

# Threads: a worker keeps serving while its requests wait on PostgreSQL, and clients keep their connections.
# Keep-alive 75 s: with gunicorn's 2 s a busy worker closed connections a client had just reused, and its
# request got no answer (0.1-11 % of requests under load, benchmarks/load.py). Put it above any proxy's idle timeout.
CMD ["gunicorn", "plum.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", \
     "--keep-alive", "75", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
