"""The request an audit entry comes from: its id and the caller's address, set by plum.api's middleware
and read by record(). Outside a request (commands, tasks) both are None."""

import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    ip: str | None = None


_NONE = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("plum_request_context", default=_NONE)

# A caller's X-Request-ID is kept when it is a plain token (it lands in logs and the audit trail).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current_request() -> RequestContext:
    return _current.get()


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def request_context(*, request_id: str | None, ip: str | None):
    token = _current.set(RequestContext(request_id=request_id, ip=ip))
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside requests), so a log line and an audit entry meet."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get().request_id or "-"
        return True
