"""Shared by the relay, delivery and worker tests (no tests here): subscriptions, outbox events, a real HTTP
receiver on 127.0.0.1 and a clock the tests move."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.db import transaction

from integrations.webhooks.models import Delivery, Subscription
from plum.core.keys import new_webhook_secret, seal
from plum.core.outbox import Event, outbox_emit, outbox_emit_many


def make_subscription(organisation_id, url: str, events=("employee.created",), **fields) -> tuple[Subscription, str]:
    secret = new_webhook_secret()
    subscription = Subscription.objects.create(
        organisation_id=organisation_id,
        url=url,
        events=list(events),
        secret_sealed=seal(secret, organisation_id),
        **fields,
    )
    return subscription, secret


def emit(organisation_id, event_type: str = "employee.created", count: int = 1, **payload) -> None:
    """`count` events in one transaction, as a domain service writes them."""
    with transaction.atomic():
        if count == 1:
            event = Event(event_type, "employee", payload.get("employee_id", "E1"), {"n": 0, **payload})
            outbox_emit(organisation_id=organisation_id, event=event)
        else:
            events = (Event(event_type, "employee", f"E{n}", {"n": n, **payload}) for n in range(count))
            outbox_emit_many(organisation_id=organisation_id, events=events)


def deliveries_of(subscription) -> list[Delivery]:
    return list(Delivery.objects.filter(subscription=subscription).order_by("created_at", "event_id"))


class Received:
    def __init__(self, headers: dict, body: bytes):
        self.headers, self.body = headers, body

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers `status` (an int, or a
    callable taking the Received and answering an int). `hold` (a threading.Event) makes it block
    before answering until the event is set."""

    def __init__(self, status=200):
        self.status, self.received, self.hold = status, [], None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                got = Received({k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.received.append(got)
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                status = receiver.status(got) if callable(receiver.status) else receiver.status
                answer = b'{"ok": true}' if status < 300 else b"try later"
                try:
                    self.send_response(status)
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender is gone (killed mid-send)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ids(self) -> list[str]:
        with self._lock:
            return [got.headers["webhook-id"] for got in self.received]

    def close(self):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(status=200) -> Receiver:
        made.append(Receiver(status))
        return made[-1]

    yield make
    for server in made:
        server.close()


def refused_url() -> str:
    """A 127.0.0.1 port nobody listens on: connection refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


class Clock:
    """timezone.now() for the webhook services, moved only by the test."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    from integrations.webhooks.services import deliveries, relay

    fake = Clock()
    for module in (deliveries, relay):
        monkeypatch.setattr(module, "timezone", SimpleNamespace(now=fake))  # these modules only
    return fake


def new_id() -> str:
    return str(uuid.uuid4())


def make_delivery(subscription, state: str = "pending", event_type: str = "employee.created", **fields) -> Delivery:
    from django.utils import timezone

    now = timezone.now()
    event_id = uuid.uuid4()
    values = {"next_attempt_at": now if state in Delivery.DUE else None, "created_at": now, **fields}
    return Delivery.objects.create(
        organisation_id=subscription.organisation_id,
        subscription=subscription,
        event_id=event_id,
        event_type=event_type,
        body=json.dumps({"id": str(event_id), "type": event_type, "data": {}}),
        state=state,
        **values,
    )
