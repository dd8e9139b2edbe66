"""Fake HRMS vendors for tests: real HTTP servers on 127.0.0.1 (pytest-httpserver) answering with the
shapes of SAP SuccessFactors OData v2, Workday (a RaaS report, the REST `workers` collection) and
Darwinbox's employee master API, with knobs for every failure a run must survive (see FakeVendor).

People are plain dicts (make_people / make_person); each fake renders them in its vendor's format.
The fixtures below work where this module is a pytest plugin (`pytest_plugins` of the root conftest);
anywhere, a test module can build its own: `FakeSuccessFactors(use_vendor_server(settings), ...)`.
"""

import atexit
import json

import pytest
from pytest_httpserver import HTTPServer

from integrations.hrms.tests.fakes.common import LOOPBACK, FakeVendor, Received, make_people, make_person
from integrations.hrms.tests.fakes.darwinbox import FakeDarwinbox
from integrations.hrms.tests.fakes.successfactors import FakeSuccessFactors
from integrations.hrms.tests.fakes.workday import FakeWorkdayRaas, FakeWorkdayWorkers
from integrations.hrms.vendors import ConnectionSpec, Page, vendor_for
from integrations.hrms.vendors.http import forget_tokens

__all__ = [
    "LOOPBACK",
    "FakeDarwinbox",
    "FakeSuccessFactors",
    "FakeVendor",
    "FakeWorkdayRaas",
    "FakeWorkdayWorkers",
    "Received",
    "fake_darwinbox",
    "fake_successfactors",
    "fake_workday_raas",
    "fake_workday_workers",
    "fetch_all",
    "make_people",
    "make_person",
    "quick_retries",
    "start_vendor_server",
    "use_vendor_server",
    "vendor_server",
]


def start_vendor_server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


_shared: list[HTTPServer] = []


def use_vendor_server(settings) -> HTTPServer:
    """The test process's HTTP server on 127.0.0.1, emptied of the last test's fakes, with the SSRF
    guard allowing loopback (`settings` is pytest-django's fixture). One server for all tests: starting
    and stopping one per test costs half a second each."""
    if not _shared:
        _shared.append(start_vendor_server())
        atexit.register(_shared[0].stop)
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    _shared[0].clear()
    forget_tokens()  # the server's port is the same in every test: so would be a cached token's key
    return _shared[0]


@pytest.fixture
def vendor_server(settings):
    return use_vendor_server(settings)


@pytest.fixture
def fake_successfactors(vendor_server):
    return FakeSuccessFactors(vendor_server)


@pytest.fixture
def fake_workday_raas(vendor_server):
    return FakeWorkdayRaas(vendor_server)


@pytest.fixture
def fake_workday_workers(vendor_server):
    return FakeWorkdayWorkers(vendor_server)


@pytest.fixture
def fake_darwinbox(vendor_server):
    return FakeDarwinbox(vendor_server)


@pytest.fixture
def quick_retries(settings):
    """Retries without real waiting: a 1 ms backoff (Retry-After still waits what the vendor asks)."""
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001


def fetch_all(spec: ConnectionSpec) -> list[Page]:
    """Every page of a run, as the HRMS run fetches them (cursor after cursor)."""
    vendor = vendor_for(spec.provider)
    pages, cursor = [], vendor.first_cursor(spec)
    while cursor is not None:
        pages.append(vendor.fetch(spec, json.loads(json.dumps(cursor))))  # cursors are stored as JSON
        cursor = pages[-1].next_cursor
    return pages
