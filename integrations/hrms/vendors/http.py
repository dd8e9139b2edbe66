"""Every vendor call of an HRMS run: through integrations.outbound (SSRF guard, timeouts, size limit),
with the retry rules a run is owed, and failures turned into FetchFailed messages that say what to fix.

- 401/403 (and 400 from a token endpoint): at once, naming the credentials to check (a cached OAuth
  token is fetched again once first).
- 429: waits Retry-After (seconds or an HTTP date; absent: the backoff) up to HRMS_MAX_RETRY_AFTER_SECONDS.
- 5xx and no answer (network, timeout): retried with a doubling backoff, HRMS_MAX_ATTEMPTS requests in all.
- Other 4xx, a page larger than HRMS_MAX_PAGE_BYTES, a refused address: at once, saying which.
Messages never carry a secret: every credential value is masked, even when a vendor echoes it.
"""

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from hashlib import sha256
from typing import Any

import httpx
from django.conf import settings

from integrations import outbound
from integrations.hrms.vendors.base import FetchFailed

EXCERPT = 300


@dataclass(frozen=True)
class Caller:
    """Who is called (for messages), how, and which values must never appear in a message."""

    vendor: str  # "SuccessFactors"
    auth: "BasicAuth | OAuthClient | None"
    secrets: tuple[str, ...] = ()
    refusals: tuple[int, ...] = (401, 403)  # a token endpoint refuses a grant with 400 too (RFC 6749 5.2)

    def json(self, method: str, url: str, **kwargs) -> Any:
        """The answer's JSON (a 2xx answer); FetchFailed otherwise."""
        answer = self.send(method, url, **kwargs)
        try:
            return json.loads(answer.content)
        except ValueError:
            raise FetchFailed(
                self.masked(f"{self.vendor} answered with malformed JSON ({len(answer.content)} bytes).")
            ) from None

    def send(self, method: str, url: str, *, headers=None, params=None, json=None, content=None) -> outbound.Answer:
        attempts, renewed = 0, False
        while True:
            attempts += 1
            sent = dict(headers or {}) | (self.auth.headers(self) if self.auth else {})
            try:
                answer = outbound.request(
                    method,
                    url,
                    headers=sent,
                    params=params,
                    json=json,
                    content=content,
                    max_bytes=settings.HRMS_MAX_PAGE_BYTES,
                )
            except outbound.OutboundRefused as exc:
                raise FetchFailed(
                    self.masked(
                        f"{self.vendor} at {_host(url)}: the address is refused by the outbound guard ({exc}); "
                        "see PLUM_OUTBOUND_ALLOWED_NETWORKS."
                    )
                ) from None
            except outbound.OutboundFailed as exc:
                if str(exc).startswith("answer larger than"):  # the same page will be as large next time
                    raise FetchFailed(
                        f"{self.vendor} sent a page too large to read ({exc}); raise PLUM_HRMS_MAX_PAGE_BYTES."
                    ) from None
                self._wait_or_fail(attempts, f"{self.vendor} could not be read ({exc})", None)
                continue
            status = answer.status_code
            if answer.ok:
                return answer
            if status in self.refusals:
                if not renewed and self.auth and self.auth.forget():
                    renewed = True  # a cached token may have been revoked: fetch one more, once
                    continue
                fix = self.auth.fix if self.auth else "the credentials"
                raise FetchFailed(self.masked(f"{self.vendor} refused the credentials ({status}): check {fix}."))
            if status == 429:
                self._wait_or_fail(attempts, f"{self.vendor} kept answering 429 (too many requests)", answer)
                continue
            if status >= 500:
                self._wait_or_fail(attempts, f"{self.vendor} answered {status}: {vendor_message(answer)}", None)
                continue
            raise FetchFailed(self.masked(f"{self.vendor} refused the request ({status}): {vendor_message(answer)}"))

    def _wait_or_fail(self, attempts: int, problem: str, throttled: outbound.Answer | None) -> None:
        maximum = settings.HRMS_MAX_ATTEMPTS
        if attempts >= maximum:
            raise FetchFailed(self.masked(f"{problem}; gave up after {attempts} attempts."))
        delay = float(settings.HRMS_RETRY_BACKOFF_SECONDS) * 2 ** (attempts - 1)
        if throttled is not None:
            asked = retry_after(throttled.headers.get("Retry-After"))
            limit = float(settings.HRMS_MAX_RETRY_AFTER_SECONDS)
            if asked is not None and asked > limit:
                raise FetchFailed(
                    f"{self.vendor} asked to wait {asked:g} s (Retry-After), longer than the {limit:g} s allowed "
                    "(PLUM_HRMS_MAX_RETRY_AFTER_SECONDS); try again later."
                )
            delay = delay if asked is None else asked
        time.sleep(delay)

    def masked(self, message: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret and len(secret) >= 4:
                message = message.replace(secret, "***")
        return message


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def vendor_message(answer: outbound.Answer) -> str:
    """The vendor's own words: an OData error's message, a JSON "message"/"error", or the answer's start."""
    try:
        body = json.loads(answer.content)
    except ValueError:
        body = None
    found = _message_in(body) if isinstance(body, dict) else None
    text = found if isinstance(found, str) and found.strip() else answer.text
    return " ".join(text.split())[:EXCERPT] or "(no message)"


def _message_in(body: dict) -> Any:
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return message.get("value") if isinstance(message, dict) else message
    if isinstance(body.get("errors"), list) and body["errors"] and isinstance(body["errors"][0], dict):
        return body["errors"][0].get("error") or body["errors"][0].get("message")
    return body.get("message") or body.get("error_description") or error


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or "?"
    except (httpx.InvalidURL, TypeError):
        return "?"


def same_origin(url: str, base_url: str) -> bool:
    """Whether url is on the scheme, host and port of base_url (default ports made explicit)."""
    try:
        one, two = httpx.URL(url), httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError):
        return False
    ports = {"http": 80, "https": 443}
    return (one.scheme, one.host.lower(), one.port or ports.get(one.scheme)) == (
        two.scheme,
        two.host.lower(),
        two.port or ports.get(two.scheme),
    )


# --- Authentication -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasicAuth:
    user: str
    password: str
    fix: str  # what to check when refused: "username, password and company_id"

    def headers(self, caller: Caller) -> dict[str, str]:
        pair = f"{self.user}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def forget(self) -> bool:
        return False


_tokens: dict[str, tuple[str, float]] = {}  # key -> (access token, monotonic expiry), per worker process
_tokens_lock = threading.Lock()
TOKEN_MARGIN_SECONDS = 60


def forget_tokens() -> None:
    """Drop every cached OAuth token (tests start clean; the next call fetches a new one)."""
    with _tokens_lock:
        _tokens.clear()


@dataclass(frozen=True)
class OAuthClient:
    """OAuth 2.0 at token_url: the refresh_token grant when one is given (Workday's API clients), client
    credentials otherwise; client authentication by Basic header. Tokens are kept for their expires_in."""

    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # more form fields (SuccessFactors: company_id)
    fix: str = "client_id, client_secret and token_url"

    @property
    def key(self) -> str:
        parts = (self.token_url, self.client_id, self.client_secret, self.refresh_token, repr(self.extra))
        return sha256("\x00".join(parts).encode()).hexdigest()

    def headers(self, caller: Caller) -> dict[str, str]:
        with _tokens_lock:
            cached = _tokens.get(self.key)
        if cached and cached[1] > time.monotonic():
            return {"Authorization": f"Bearer {cached[0]}"}
        token, expires_in = self._fetch(caller)
        with _tokens_lock:
            _tokens[self.key] = (token, time.monotonic() + max(0, expires_in - TOKEN_MARGIN_SECONDS))
        return {"Authorization": f"Bearer {token}"}

    def forget(self) -> bool:
        with _tokens_lock:
            return _tokens.pop(self.key, None) is not None

    def _fetch(self, caller: Caller) -> tuple[str, int]:
        if self.refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        else:
            form = {"grant_type": "client_credentials"}
        client = BasicAuth(self.client_id, self.client_secret, fix=self.fix)
        token_caller = Caller(f"{caller.vendor}'s token endpoint", client, caller.secrets, refusals=(400, 401, 403))
        body = token_caller.json(
            "POST",
            self.token_url,
            content=str(httpx.QueryParams(form | dict(self.extra))).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchFailed(f"{caller.vendor}'s token endpoint answered without an access_token.")
        try:
            return token, int(float(body.get("expires_in") or 0))
        except (TypeError, ValueError):
            return token, 0
