import logging
import re
import uuid

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from plum.api.middleware import RequestIdMiddleware
from plum.core import audit
from plum.core.actor import Actor
from plum.core.audit.context import RequestIdLogFilter
from plum.core.models import AuditEntry

ORG = uuid.UUID("00000000-0000-0000-0000-0000000000a1")


def run(header: str | None, view):
    headers = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    request = RequestFactory().get("/api/v1/anything/", REMOTE_ADDR="192.0.2.7", **headers)
    return RequestIdMiddleware(view)(request)


def test_a_sane_request_id_is_kept_and_echoed():
    seen = []
    response = run("abc-123.x:y", lambda request: seen.append(audit.current_request()) or HttpResponse())
    assert response["X-Request-ID"] == "abc-123.x:y"
    assert seen == [audit.RequestContext(request_id="abc-123.x:y", ip="192.0.2.7")]
    assert audit.current_request() == audit.RequestContext()


@pytest.mark.parametrize("header", [None, "", "has space", "x" * 129, "<script>", "-leading-dash", "é"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(header):
    response = run(header, lambda request: HttpResponse())
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_log_records_carry_the_request_id():
    records = []
    log_filter = RequestIdLogFilter()

    def view(request):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "inside", None, None)
        log_filter.filter(record)
        records.append(record)
        return HttpResponse()

    run("req-9", view)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "outside", None, None)
    log_filter.filter(outside)
    assert [r.request_id for r in records] == ["req-9"]
    assert outside.request_id == "-"


@pytest.mark.django_db
def test_an_entry_written_in_a_request_has_its_id_and_address():
    def view(request):
        with transaction.atomic():
            audit.record(actor=Actor.system(ORG), action="x.y", object_type="x", object_id="1")
        return HttpResponse()

    response = run(None, view)
    assert list(AuditEntry.objects.values_list("request_id", "ip")) == [(response["X-Request-ID"], "192.0.2.7")]
