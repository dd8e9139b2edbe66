#!/usr/bin/env bash
# Property-based API tests of the OpenAPI schema (settings in schemathesis.toml, hooks in
# scripts/schemathesis_hooks.py).
#
#   scripts/schemathesis.sh                       fresh database `plum_schemathesis`, two demo tenants, a
#                                                 gunicorn on 127.0.0.1, the run, then everything torn down
#   scripts/schemathesis.sh URL TOKEN_A TOKEN_B   only the run, against a server already up (URL like
#                                                 http://127.0.0.1:8000), with two tenants' bearer tokens
#
# Exits non-zero on any failure, and on a traceback in the server's log. ST_MAX_TIME (seconds, default 150)
# bounds the run; the set-up takes about a minute more. The database server is DATABASE_URL's (default
# postgres://postgres@127.0.0.1:5432/...); reports go to ST_REPORT_DIR (default var/schemathesis); ST_ARGS
# adds options to `schemathesis run` (e.g. "--seed 42", or "--checks all" to look further).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
MAX_TIME=${ST_MAX_TIME:-150}
REPORT_DIR=${ST_REPORT_DIR:-var/schemathesis}
WORK=$(mktemp -d)
SERVER_PID=""

# argv: database URL, create|drop. Connects to the server's `postgres` database.
database() {
    "$PY" -c '
import sys
from urllib.parse import urlsplit
import psycopg
url, verb = sys.argv[1:]
name = urlsplit(url).path.lstrip("/")
with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
    db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if verb == "create":
        db.execute(f"CREATE DATABASE {name}")
' "$1" "$2"
}

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "${ST_DATABASE_URL:-}" ] && [ -z "${ST_KEEP_DB:-}" ]; then
        database "$ST_DATABASE_URL" drop || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

token_of() {  # client_id secret -> a bearer token
    "$PY" -c '
import base64, json, sys, urllib.request
url, client, secret = sys.argv[1:]
basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
asked = urllib.request.Request(url + "/oauth/token/", b"grant_type=client_credentials", {"Authorization": "Basic " + basic})
print(json.load(urllib.request.urlopen(asked, timeout=10))["access_token"])
' "$BASE_URL" "$1" "$2"
}

wait_for() {  # url: up to 30 s for it to answer 200
    "$PY" -c '
import sys, time, urllib.request
for _ in range(60):
    try:
        sys.exit(0) if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else None
    except OSError:
        time.sleep(0.5)
sys.exit(1)
' "$1"
}

field() {  # tenant name -> one field of what plum_demo printed
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/$1.json" "$2"
}

if [ $# -eq 3 ]; then
    BASE_URL=$1 TOKEN_A=$2 TOKEN_B=$3
elif [ $# -eq 0 ]; then
    SERVER=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/plum}
    export ST_DATABASE_URL="${SERVER%/*}/plum_schemathesis"
    export DATABASE_URL=$ST_DATABASE_URL PLUM_ALLOW_EPHEMERAL_SECRET=1 DEBUG=0 REDIS_URL=
    # one client sends a few thousand calls a minute; the throttles are tested elsewhere
    export PLUM_CLIENT_RATE=100000/min PLUM_TOKEN_CLIENT_RATE=1000/min PLUM_TOKEN_ADDRESS_RATE=1000/min
    database "$ST_DATABASE_URL" create
    "$PY" manage.py migrate --verbosity 0 2>/dev/null
    # Employee ids are per organisation: were beta's the demo's E00001... too, tenant-b reading its own
    # E00010 would look like reading alpha's. So beta has none, and reads of alpha's ids must be 404.
    "$PY" manage.py plum_demo --organisation alpha --employees 20 --json >"$WORK/alpha.json" 2>/dev/null
    "$PY" manage.py plum_demo --organisation beta --employees 0 --json >"$WORK/beta.json" 2>/dev/null
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    BASE_URL="http://127.0.0.1:$PORT"
    # gunicorn refuses a request line over 4094 bytes (or a header over 8190) itself, in HTML, before Plum
    # sees it; without those limits here, every answer checked is Plum's own
    .venv/bin/gunicorn plum.wsgi --bind "127.0.0.1:$PORT" --workers 2 --worker-class gthread --threads 4 \
        --timeout 60 --limit-request-line 0 --limit-request-field_size 0 --log-level warning \
        >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    wait_for "$BASE_URL/healthz" || { cat "$WORK/server.log"; exit 1; }
    TOKEN_A=$(token_of "$(field alpha client_id)" "$(field alpha client_secret)")
    TOKEN_B=$(token_of "$(field beta client_id)" "$(field beta client_secret)")
else
    echo "usage: $0 [URL TOKEN_A TOKEN_B]" >&2
    exit 2
fi

# Two tenants for object_level_authorization: what tenant-a reads, tenant-b must not get.
export SCHEMATHESIS_WFC_AUTH="$WORK/auth.json"
"$PY" -c '
import json, sys
users = [("tenant-a", sys.argv[1]), ("tenant-b", sys.argv[2])]
auth = [{"name": n, "fixedHeaders": [{"name": "Authorization", "value": "Bearer " + t}]} for n, t in users]
print(json.dumps({"auth": auth}))
' "$TOKEN_A" "$TOKEN_B" >"$SCHEMATHESIS_WFC_AUTH"

status=0
.venv/bin/schemathesis --config-file schemathesis.toml run "$BASE_URL/api/v1/schema/" --url "$BASE_URL" \
    --max-time "$MAX_TIME" --report junit,ndjson --report-dir "$REPORT_DIR" ${ST_ARGS:-} || status=$?
if [ -n "$SERVER_PID" ] && grep -q "Traceback" "$WORK/server.log"; then
    echo "The server logged tracebacks:" >&2
    grep -A40 "Traceback" "$WORK/server.log" | head -200 >&2
    status=1
fi
exit "$status"
