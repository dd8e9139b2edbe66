"""The vendor calls: a Slack incoming webhook, Slack's Web API (chat.postMessage, users.lookupByEmail) and a
Teams workflow, each answer sorted into what the notification does next (Sent.result).

Every byte goes through integrations.outbound (SSRF guard on the connection, timeouts, answer size limit).
Slack's Web API is called with slack_sdk's WebClient (its request building, token header, SlackResponse and
SlackApiError), whose one HTTP method, `_perform_urllib_http_request`, is replaced to send through
integrations.outbound instead of urllib: WebClient has no public transport hook, slack-sdk is pinned, and a
test runs the real client against a local server. WebClient's retry handlers never run (the schedule in the
database retries, never the client).

An answer that may hide an accepted message (a read timeout, a connection dropped after the request went
out, Slack's fatal_error) is never retried: at most one message per event and channel.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations import outbound

SENT, RETRY, DEAD, DISABLE, SKIPPED = "sent", "retry", "dead", "disable", "skipped"
MAYBE_SENT = "no clear answer ({}); not re-sent to avoid a duplicate"
SLACK_DISABLING = {"invalid_auth", "account_inactive", "token_revoked", "not_authed", "team_not_found"}
SLACK_CHANNEL_GONE = {"channel_not_found", "is_archived"}  # disables a channel-target channel only
SLACK_RETRYABLE = {"ratelimited", "internal_error", "service_unavailable"}
CARD_REFUSALS = ("card", "summary or text is required")  # a workflow or connector that takes no Adaptive Card


@dataclass(frozen=True)
class Sent:
    result: str  # SENT, RETRY, DEAD, DISABLE or SKIPPED
    status_code: int | None = None
    error: str = ""
    retry_after: int | None = None  # seconds the vendor asked us to wait (429)
    message_ref: dict = field(default_factory=dict)
    card_refused: bool = False  # Teams: the workflow refused the Adaptive Card (sent as a MessageCard)


def _retry_after(headers) -> int | None:
    value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
    return int(value) if value and str(value).isdigit() else None


def _no_answer(exc: Exception) -> Sent:
    """A refused URL or a connection never made is safe to retry; anything later may have been accepted."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, outbound.OutboundRefused):
        return Sent(DEAD, error=f"url_not_allowed: {text}"[:500])
    if text.startswith("ConnectError") or "ConnectTimeout" in text:
        return Sent(RETRY, error=text[:500])
    return Sent(DEAD, error=MAYBE_SENT.format(text)[:500])


def _by_status(answer: outbound.Answer, vendor: str) -> Sent:
    """What a webhook-style answer means (Slack incoming webhooks, Teams workflows)."""
    status, body = answer.status_code, answer.text.strip()
    error = f"{vendor} answered {status}" + (f": {body[:200]}" if body else "")
    if 200 <= status < 300:
        return Sent(SENT, status)
    if status == 429:
        return Sent(RETRY, status, error, retry_after=_retry_after(answer.headers))
    if status == 410 or (status == 404 and vendor == "Slack" and body == "no_service"):
        return Sent(DISABLE, status, error)
    if status >= 500:
        return Sent(RETRY, status, error)
    return Sent(DEAD, status, error)


def slack_webhook_post(url: str, payload: dict) -> Sent:
    """An incoming webhook answers 200 `ok`, or a plain-text error (no_service, invalid_payload, …)."""
    content = json.dumps(payload).encode()
    try:
        answer = outbound.post(url, content=content, headers={"Content-Type": "application/json"})
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        return _no_answer(exc)
    return _by_status(answer, "Slack")


def teams_post(url: str, payload: dict) -> Sent:
    """A Workflows webhook answers 202 (200 for connectors); a 400 naming cards means cards are refused."""
    try:
        answer = outbound.post(url, content=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        return _no_answer(exc)
    sent = _by_status(answer, "Teams")
    if answer.status_code == 400 and any(word in answer.text.lower() for word in CARD_REFUSALS):
        return Sent(DEAD, 400, sent.error, card_refused=True)
    return sent


class OutboundWebClient(WebClient):
    """slack_sdk's WebClient sending through integrations.outbound (see the module's docstring)."""

    def __init__(self, token: str):
        super().__init__(token=token, base_url=settings.SLACK_API_URL, retry_handlers=[])

    def _perform_urllib_http_request(self, *, url: str, args: dict) -> dict:
        headers = dict(args["headers"])
        if args["json"]:
            content = json.dumps(args["json"]).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        else:
            content = urlencode(args["params"] or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = outbound.request("POST", url, headers=headers, content=content)
        return {"status": answer.status_code, "headers": dict(answer.headers), "body": answer.content.decode()}


def _slack_api_error(exc: SlackApiError, *, channel_target: bool) -> Sent:
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    status, error = response.status_code, str(data.get("error") or "")
    text = f"Slack answered {status}" + (f": {error}" if error else "")
    if status == 429 or error == "ratelimited":
        return Sent(RETRY, status, text, retry_after=_retry_after(response.headers))
    if error in SLACK_DISABLING or (channel_target and error in SLACK_CHANNEL_GONE):
        return Sent(DISABLE, status, text)
    if status >= 500 or error in SLACK_RETRYABLE:
        return Sent(RETRY, status, text)
    return Sent(DEAD, status, text)


def slack_post_message(token: str, channel: str, payload: dict, *, channel_target: bool) -> Sent:
    """chat.postMessage; Slack answers 200 {"ok": false, "error"} for most errors. The answer's channel and ts
    are kept (message_ref) so that a click can update the message."""
    try:
        response = OutboundWebClient(token).chat_postMessage(channel=channel, **payload)
    except SlackApiError as exc:
        return _slack_api_error(exc, channel_target=channel_target)
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        return _no_answer(exc)
    return Sent(SENT, response.status_code, message_ref={"channel": response["channel"], "ts": response["ts"]})


def slack_user_by_email(token: str, email: str) -> tuple[str | None, Sent | None]:
    """(the Slack user id, None), (None, SKIPPED) when Slack knows no such person, or (None, the failure)."""
    try:
        response = OutboundWebClient(token).users_lookupByEmail(email=email)
    except SlackApiError as exc:
        if isinstance(exc.response.data, dict) and exc.response.data.get("error") == "users_not_found":
            return None, Sent(SKIPPED, exc.response.status_code, "Slack knows no user with the employee's email")
        return None, _slack_api_error(exc, channel_target=False)
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        failed = _no_answer(exc)  # a lookup posts nothing: one without an answer is simply retried
        return None, failed if failed.result != DEAD or failed.error.startswith("url_not") else Sent(
            RETRY, error=str(exc)[:500]
        )
    return response["user"]["id"], None
