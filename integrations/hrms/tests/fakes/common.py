"""What the fake vendors share: people, the request log, authentication, failure knobs.

People are plain dicts (make_people / make_person); each fake renders them in its vendor's format:
SuccessFactors `/Date(ms)/` dates and alpha-3 countries, Darwinbox `DD-MM-YYYY` dates and country
names, Workday ISO dates. A person's `vendor_fields` ({dotted path: raw value}) is written into the
vendor record last, to send odd values or extra columns.
"""

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl

import pycountry
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.hrms.vendors.base import ConnectionSpec

LOOPBACK = ["127.0.0.0/8"]
_FIRST = ("Asha", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Kavya", "Liam")
_LAST = ("Patel", "Smith", "Okafor", "Müller", "Garcia", "Tanaka", "Dubois", "Kowalski", "Rossi", "Nguyen")
_COUNTRIES = ("GB", "US", "IN", "DE", "FR")
_DEPARTMENTS = ("Engineering", "Sales", "Finance", "People", "Support")


def make_person(i: int, **overrides) -> dict:
    """Person number i (deterministic); E000001 manages everyone else."""
    first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
    person = {
        "employee_id": f"E{i:06d}",
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{i}@acme.example".lower(),
        "status": "active",
        "department": _DEPARTMENTS[i % len(_DEPARTMENTS)],
        "division": "Corporate",
        "business_unit": f"BU{i % 3 + 1}",
        "location": "HQ",
        "country": _COUNTRIES[i % len(_COUNTRIES)],
        "cost_centre": f"CC{100 + i % 7}",
        "manager": None if i == 1 else "E000001",
        "role": "Engineer" if i % 2 else "Analyst",
        "hire_date": (date(2020, 1, 1) + timedelta(days=i % 1500)).isoformat(),
        "exit_date": None,
        "last_modified": (datetime(2026, 1, 1) + timedelta(seconds=i)).isoformat(),
        "vendor_fields": {},
    }
    return person | overrides


def make_people(n: int, start: int = 1) -> list[dict]:
    return [make_person(i) for i in range(start, start + n)]


def _ms(day: str | None, suffix: str = "") -> str | None:
    """A date or datetime as OData v2 writes it: /Date(milliseconds since 1970, UTC)/."""
    if not day:
        return None
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}{suffix})/"


def _dmy(day: str | None) -> str:
    return datetime.fromisoformat(day).strftime("%d-%m-%Y") if day else ""


def _alpha3(code: str) -> str:
    return pycountry.countries.get(alpha_2=code).alpha_3 if code else ""


def _country_name(code: str) -> str:
    return pycountry.countries.get(alpha_2=code).name if code else ""


def _set_path(record: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        record = record[part]["results"][0] if "results" in record.get(part, {}) else record.setdefault(part, {})
    record[last] = value


def _with_vendor_fields(record: dict, person: dict) -> dict:
    for path, value in person.get("vendor_fields", {}).items():
        _set_path(record, path, value)
    return record


@dataclass
class Received:
    """One request a fake received; `page` is the data page it asked for (None for token requests)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic() when it arrived
    page: int | None = None
    status: int = 0
    answered_at: float = 0.0  # time.monotonic() when the answer was ready
    received_on: float = field(default_factory=time.time)  # wall clock (for Retry-After dates)

    def json(self):
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class FakeVendor:
    """What every fake shares: the request log, authentication, and the failure knobs.

    - fail_on_page=n: the request for data page n fails, `failure` "500" (an answer) or "drop" (the
      connection closes mid-body); every time, or only the first `fail_times` times.
    - status_for_all=401: every request (token requests too) answers that status with a vendor error.
    - throttle_once_with_retry_after: the first data request answers 429 with that Retry-After
      (seconds or an HTTP date; "" sends no header); later ones are served.
    - malformed_json, huge_answer (bytes of JSON whitespace added; True: 5 MiB), slow_seconds (before answering).
    """

    server: HTTPServer
    people: list[dict] = field(default_factory=lambda: make_people(5))
    prefix: str = ""
    page_size: int = 1000
    username: str = "plum_api"
    password: str = "s3cret-password"
    client_id: str = "plum-client"
    client_secret: str = "s3cret-client"
    token_expires_in: int = 3600
    fail_on_page: int | None = None
    failure: str = "500"
    fail_times: int | None = None
    status_for_all: int | None = None
    throttle_once_with_retry_after: int | str | None = None
    malformed_json: bool = False
    huge_answer: int | bool = 0  # extra bytes; True: 5 MiB
    slow_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)

    provider = ""
    token_path = "/oauth/token"

    def __post_init__(self):
        self.prefix = self.prefix.rstrip("/")
        self._lock = threading.Lock()
        self._throttled = False
        self._failures = 0
        self._tokens: set[str] = set()
        self.server.expect_request(re.compile(re.escape(self.prefix) + "/")).respond_with_handler(self._handle)

    # --- what a connection to this fake looks like -------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.prefix}"

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path

    def settings(self) -> dict:
        raise NotImplementedError

    def credentials(self, oauth: bool = False) -> dict:
        if oauth:
            return {"client_id": self.client_id, "client_secret": self.client_secret, "token_url": self.token_url}
        return {"username": self.username, "password": self.password}

    def connection(self, oauth: bool = False, **overrides) -> dict:
        """The body of POST /api/v1/integrations/hrms/ for this fake (schedule and mode left to the caller)."""
        body = {
            "provider": self.provider,
            "base_url": self.base_url,
            "settings": self.settings(),
            "credentials": self.credentials(oauth),
            "field_map": {},
        }
        return body | overrides

    def spec(self, *, mode="full", watermark=None, field_map=None, settings=None, credentials=None, oauth=False):
        return ConnectionSpec(
            provider=self.provider,
            base_url=self.base_url,
            settings=self.settings() | (settings or {}),
            credentials=credentials if credentials is not None else self.credentials(oauth),
            mode=mode,
            field_map=field_map or {},
            watermark=watermark,
        )

    @property
    def data_requests(self) -> list[Received]:
        return [r for r in self.requests if r.page is not None]

    @property
    def token_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path == self.prefix + self.token_path]

    # --- serving ------------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        received = Received(
            request.method,
            request.path,
            dict(request.args.items()),
            dict(request.headers.items()),
            request.get_data(),
            time.monotonic(),
        )
        with self._lock:
            self.requests.append(received)
            response = self._answer(request, received)
        received.status = response.status_code
        if self.slow_seconds:
            time.sleep(self.slow_seconds)
        received.answered_at = time.monotonic()
        return response

    def _answer(self, request: Request, received: Received) -> Response:
        if request.path != self.prefix + self.token_path:
            received.page = self.page_of(request, received)
        if self.status_for_all:
            return self.error(self.status_for_all, f"Refused with {self.status_for_all}")
        if request.path == self.prefix + self.token_path:
            return self._token(received)
        if not self._authorised(request):
            return self.error(401, "Invalid username or password")
        if received.page is None:
            return self.error(404, f"No such resource: {request.path}")
        if self.throttle_once_with_retry_after is not None and not self._throttled:
            self._throttled = True
            after = str(self.throttle_once_with_retry_after)
            return self.error(429, "Too many requests", headers={"Retry-After": after} if after else {})
        if self.fail_on_page == received.page and (self.fail_times is None or self._failures < self.fail_times):
            self._failures += 1
            if self.failure == "drop":  # promises more than it sends, then closes: the client sees a cut
                cut = Response(b'{"partial": ', content_type="application/json")
                cut.headers.update({"Content-Length": "4096", "Connection": "close"})
                return cut
            return self.error(500, "Internal server error")
        body = b'{"d": {"results": [{"userId": ' if self.malformed_json else self.page_body(request, received)
        padding = 5 * 1_048_576 if self.huge_answer is True else int(self.huge_answer)
        return Response(body + b" " * padding, content_type="application/json")

    def _authorised(self, request: Request) -> bool:
        kind, _, value = request.headers.get("Authorization", "").partition(" ")
        if kind == "Bearer":
            return value in self._tokens
        return kind == "Basic" and value == base64.b64encode(self.basic_user().encode()).decode()

    def basic_user(self) -> str:
        return f"{self.username}:{self.password}"

    def _token(self, received: Received) -> Response:
        form = received.form
        kind, _, value = received.headers.get("Authorization", "").partition(" ")
        if kind == "Basic":  # client authentication by header (RFC 6749 2.3.1) or in the form
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if (client_id, secret) != (self.client_id, self.client_secret):
            return Response(json.dumps({"error": "invalid_client"}), status=401, content_type="application/json")
        if not self.grant_ok(form):
            return Response(json.dumps({"error": "invalid_grant"}), status=400, content_type="application/json")
        token = f"token-{len(self._tokens) + 1}"
        self._tokens.add(token)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_expires_in}
        return Response(json.dumps(answer), content_type="application/json")

    def grant_ok(self, form: dict) -> bool:
        return form.get("grant_type") == "client_credentials"

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        return Response(json.dumps({"error": message}), status=status, headers=headers, content_type="application/json")

    def page_of(self, request: Request, received: Received) -> int | None:
        raise NotImplementedError

    def page_body(self, request: Request, received: Received) -> bytes:
        raise NotImplementedError
