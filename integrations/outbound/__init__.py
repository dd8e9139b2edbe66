"""The one HTTP client for every call out of Plum: webhook deliveries, HRMS connectors, Slack and Teams.

- Timeouts: `OUTBOUND_TIMEOUT_SECONDS` for each of connect, write, read and pool, and at most twice that
  for the whole exchange, enforced on the socket (a receiver dripping bytes cannot hold a worker).
- Answers larger than `OUTBOUND_MAX_ANSWER_BYTES` (decoded) are abandoned: OutboundFailed.
- Redirects are never followed (a 3xx is an answer like any other); proxies and certificates from the
  environment are ignored; only http and https.
- The SSRF guard (guard.py): a host whose addresses include one that is loopback, private, link-local
  (cloud metadata), CGNAT, multicast, reserved or unspecified (IPv4-mapped IPv6 included) is refused,
  unless the address is inside `OUTBOUND_ALLOWED_NETWORKS` (PLUM_OUTBOUND_ALLOWED_NETWORKS, CIDRs). It runs
  twice: check_url() when a URL is saved, and inside the connection itself (GuardedBackend), on the
  addresses resolved at that moment, connecting to the very address it checked. A name that resolved
  to a public address when saved and to 127.0.0.1 when sent is refused when sent.
"""

import os
import socket
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from django.conf import settings
from httpcore._backends.sync import SyncStream  # httpcore is pinned; its public backend has no socket hook

from integrations.outbound.guard import (
    SCHEMES,
    OutboundFailed,
    OutboundRefused,
    allowed_networks,
    check_allowed_networks,
    check_url,
    checked_addresses,
    refusal,
)

__all__ = [
    "Answer",
    "OutboundFailed",
    "OutboundRefused",
    "check_allowed_networks",
    "check_url",
    "get",
    "post",
    "refusal",
    "request",
]
EXCERPT_CHARS = 1000
USER_AGENT = "Plum-Outbound/1"


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str  # the first 1000 characters of the answer, decoded
    elapsed_ms: int
    content: bytes = field(default=b"", repr=False)  # the whole answer (at most OUTBOUND_MAX_ANSWER_BYTES)
    headers: httpx.Headers = field(default_factory=httpx.Headers, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """The answer as JSON; OutboundFailed if it is not."""
        import json

        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise OutboundFailed(f"the answer is not JSON ({exc})") from None


_deadline: ContextVar[float | None] = ContextVar("outbound_deadline", default=None)


def _time_left(timeout: float | None) -> float | None:
    """A socket operation's timeout within the whole exchange's deadline: httpx bounds each read, not
    their sum, and a receiver sending a byte every few seconds would otherwise hold a worker for days."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the whole exchange took longer than allowed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(SyncStream):
    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return super().read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        super().write(buffer, _time_left(timeout))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return DeadlineStream(super().start_tls(ssl_context, server_hostname, _time_left(timeout))._sock)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the guard on the connection itself: resolve, check every address,
    connect to a checked one. TLS still verifies (and sends SNI for) the URL's host name, which httpcore
    takes from the request's origin, not from this socket."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            entries = checked_addresses(host, port)
        except OutboundFailed as exc:
            raise httpcore.ConnectError(str(exc)) from None
        last_error: Exception | None = None
        for family, kind, proto, _, sockaddr in entries:
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                if local_address is not None:
                    sock.bind((local_address, 0))
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect(sockaddr)
                return DeadlineStream(sock)
            except TimeoutError as exc:
                sock.close()
                last_error = httpcore.ConnectTimeout(f"connecting to {sockaddr[0]} timed out")
                last_error.__cause__ = exc
            except OSError as exc:
                sock.close()
                last_error = httpcore.ConnectError(f"connecting to {sockaddr[0]} failed: {exc}")
        raise last_error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that connects through GuardedBackend."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(),
        )


# --- Calls -----------------------------------------------------------------------------------------

_clients: dict[tuple, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client() -> httpx.Client:
    """One pooled client per process and allowed networks: a kept-alive connection was checked under the
    networks in force now (a forked worker builds its own)."""
    key = (os.getpid(), allowed_networks())
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                for stale in list(_clients):
                    _clients.pop(stale).close()
                client = _clients[key] = httpx.Client(
                    transport=GuardedTransport(),
                    follow_redirects=False,
                    trust_env=False,
                    headers={"User-Agent": USER_AGENT},
                )
    return client


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    json: Any = None,
    params: dict[str, Any] | None = None,
    max_bytes: int | None = None,
) -> Answer:
    """Send one request and read its answer; OutboundRefused (guard) or OutboundFailed (no answer).
    `max_bytes` replaces OUTBOUND_MAX_ANSWER_BYTES for callers that read large pages (HRMS)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused(f"not a valid URL ({exc})") from None
    if parsed.scheme not in SCHEMES or not parsed.host:
        raise OutboundRefused("only http and https URLs with a host may be called")
    seconds = float(settings.OUTBOUND_TIMEOUT_SECONDS)
    limit = int(settings.OUTBOUND_MAX_ANSWER_BYTES if max_bytes is None else max_bytes)
    started = time.monotonic()
    deadline = _deadline.set(started + 2 * seconds)
    try:
        with _client().stream(
            method, parsed, headers=headers, content=content, json=json, params=params, timeout=httpx.Timeout(seconds)
        ) as response:
            body = _read_limited(response, limit, deadline=started + 2 * seconds)
    except httpx.TimeoutException as exc:
        raise OutboundFailed(f"timed out ({type(exc).__name__}) after {seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise OutboundFailed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
    finally:
        _deadline.reset(deadline)
    return Answer(
        status_code=response.status_code,
        text=_decoded(body, response.charset_encoding)[:EXCERPT_CHARS],
        elapsed_ms=int((time.monotonic() - started) * 1000),
        content=body,
        headers=response.headers,
    )


def post(url: str, *, content: bytes, headers: dict[str, str]) -> Answer:
    return request("POST", url, content=content, headers=headers)


def get(url: str, *, headers: dict[str, str] | None = None, params: dict[str, Any] | None = None) -> Answer:
    return request("GET", url, headers=headers, params=params)


def _read_limited(response: httpx.Response, limit: int, *, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and "content-encoding" not in response.headers:
        raise OutboundFailed(f"answer larger than {limit} bytes (Content-Length {declared})")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise OutboundFailed(f"answer larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise OutboundFailed("timed out reading the answer")
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(body: bytes, encoding: str | None) -> str:
    """The answer as text a database keeps (a NUL byte becomes U+FFFD, as undecodable bytes do)."""
    try:
        text = body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")
