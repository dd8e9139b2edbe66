"""The vendor HTTP layer against a fake SuccessFactors on 127.0.0.1: what a refused, throttled, failing,
malformed, huge or slow vendor does to a fetch, the SSRF guard, and secrets kept out of messages."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from integrations.hrms.tests.fakes import FakeSuccessFactors, fetch_all, make_people, use_vendor_server
from integrations.hrms.vendors import FetchFailed
from integrations.hrms.vendors.http import retry_after


@pytest.fixture
def sf(settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001
    settings.HRMS_MAX_ATTEMPTS = 3
    return FakeSuccessFactors(use_vendor_server(settings), people=make_people(5), page_size=2)


def failure(spec) -> str:
    with pytest.raises(FetchFailed) as caught:
        fetch_all(spec)
    return str(caught.value)


def test_a_refused_password_fails_at_once_naming_what_to_check(sf):
    sf.status_for_all = 401
    assert (
        failure(sf.spec()) == "SuccessFactors refused the credentials (401): check username, password and company_id."
    )
    assert [(r.page, r.status) for r in sf.requests] == [(1, 401)]


def test_forbidden_is_a_refusal_too(sf):
    sf.status_for_all = 403
    assert (
        failure(sf.spec()) == "SuccessFactors refused the credentials (403): check username, password and company_id."
    )
    assert len(sf.requests) == 1


def test_a_refused_oauth_client_names_the_client_credentials(sf):
    message = failure(sf.spec(credentials=sf.credentials(oauth=True) | {"client_secret": "not-the-secret"}))
    assert message == (
        "SuccessFactors's token endpoint refused the credentials (401): check client_id, client_secret and token_url."
    )
    assert [r.path for r in sf.requests] == ["/oauth/token"]


def test_retry_after_in_seconds_is_waited_before_the_request_is_sent_again(sf):
    sf.throttle_once_with_retry_after = 1
    pages = fetch_all(sf.spec())

    assert sum(len(page.records) for page in pages) == 5
    throttled, retried = sf.data_requests[:2]
    assert [(throttled.page, throttled.status), (retried.page, retried.status)] == [(1, 429), (1, 200)]
    assert retried.received_at - throttled.answered_at >= 1.0


def test_retry_after_as_an_http_date_is_waited_until(sf):
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    sf.throttle_once_with_retry_after = format_datetime(until, usegmt=True)
    fetch_all(sf.spec())

    throttled, retried = sf.data_requests[:2]
    assert (throttled.status, retried.status) == (429, 200)
    assert retried.received_on >= until.timestamp()


def test_a_429_without_retry_after_waits_the_backoff(sf):
    sf.throttle_once_with_retry_after = ""
    fetch_all(sf.spec())
    assert [(r.page, r.status) for r in sf.data_requests] == [(1, 429), (1, 200), (2, 200), (3, 200)]


def test_a_retry_after_longer_than_allowed_fails_without_waiting(sf, settings):
    settings.HRMS_MAX_RETRY_AFTER_SECONDS = 30
    sf.throttle_once_with_retry_after = 3600
    assert failure(sf.spec()) == (
        "SuccessFactors asked to wait 3600 s (Retry-After), longer than the 30 s allowed "
        "(PLUM_HRMS_MAX_RETRY_AFTER_SECONDS); try again later."
    )
    assert len(sf.requests) == 1


def test_a_500_is_retried_and_the_run_goes_on(sf):
    sf.fail_on_page, sf.fail_times = 2, 1
    pages = fetch_all(sf.spec())
    assert sum(len(page.records) for page in pages) == 5
    assert [(r.page, r.status) for r in sf.data_requests] == [(1, 200), (2, 500), (2, 200), (3, 200)]


def test_a_500_forever_fails_after_the_allowed_attempts_exactly(sf):
    sf.fail_on_page = 2
    assert failure(sf.spec()) == "SuccessFactors answered 500: Internal server error; gave up after 3 attempts."
    assert [(r.page, r.status) for r in sf.data_requests] == [(1, 200), (2, 500), (2, 500), (2, 500)]


def test_5xx_retries_wait_a_doubling_backoff(sf, settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.2
    sf.fail_on_page = 1
    failure(sf.spec())
    first, second, third = sf.data_requests
    assert second.received_at - first.answered_at >= 0.2
    assert third.received_at - second.answered_at >= 0.4


def test_a_connection_cut_forever_fails_after_the_allowed_attempts(sf):
    sf.fail_on_page, sf.failure = 3, "drop"
    message = failure(sf.spec())
    assert message.startswith("SuccessFactors could not be read (RemoteProtocolError: peer closed connection")
    assert message.endswith("; gave up after 3 attempts.")
    assert [r.page for r in sf.data_requests] == [1, 2, 3, 3, 3]


def test_malformed_json_fails_at_once(sf):
    sf.malformed_json = True
    assert failure(sf.spec()) == "SuccessFactors answered with malformed JSON (30 bytes)."
    assert len(sf.requests) == 1


def test_an_unexpected_shape_fails_saying_so(sf):
    sf.server.expect_oneshot_request("/odata/v2/User").respond_with_json({"value": []})
    spec = sf.spec()
    assert failure(spec) == 'SuccessFactors answered an unexpected shape (expected {"d": {"results": [...]}}).'


def test_a_page_larger_than_allowed_fails_at_once(sf, settings):
    settings.HRMS_MAX_PAGE_BYTES = 20_000
    sf.huge_answer = 50_000
    message = failure(sf.spec())
    assert message.startswith("SuccessFactors sent a page too large to read (answer larger than 20000 bytes")
    assert message.endswith("raise PLUM_HRMS_MAX_PAGE_BYTES.")
    assert len(sf.requests) == 1


def test_a_slow_vendor_times_out_and_is_retried(sf, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.2
    sf.slow_seconds = 0.6
    message = failure(sf.spec())
    assert (
        message == "SuccessFactors could not be read (timed out (ReadTimeout) after 0.2 s); gave up after 3 attempts."
    )
    assert [r.page for r in sf.requests] == [1, 1, 1]


def test_the_outbound_guard_refuses_loopback_without_the_setting(sf, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert failure(sf.spec()) == (
        "SuccessFactors at 127.0.0.1: the address is refused by the outbound guard (127.0.0.1 is loopback; "
        "PLUM_OUTBOUND_ALLOWED_NETWORKS can allow it); see PLUM_OUTBOUND_ALLOWED_NETWORKS."
    )
    assert sf.requests == []


def test_a_vendor_echoing_a_secret_does_not_put_it_in_the_message(sf):
    echo = {"error": {"code": "LGN", "message": {"value": "Password s3cret-password of plum_api@ACME is locked"}}}
    sf.server.expect_oneshot_request("/odata/v2/User").respond_with_json(echo, status=400)
    assert failure(sf.spec()) == "SuccessFactors refused the request (400): Password *** of ***@ACME is locked"


def test_retry_after_values():
    assert retry_after("120") == 120.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
