"""POST /hooks/<endpoint_key>/: a Standard Webhooks signed body becomes an event and its rewards; a bad,
missing or stale signature is 401 and records nothing; a repeated webhook-id or event_id replays."""

import json
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from integrations.events.models import Event, HookEndpoint, HookReceipt
from integrations.events.services import hooks as hook_services
from integrations.events.tests.test_hook_helpers import (
    HOOK_ENDPOINTS,
    NOTHING,
    create_endpoint,
    darwinbox_payload,
    post_hook,
    recorded,
    signature_headers,
    world,  # noqa: F401 (fixture)
)
from points.models import PointsRequest
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(api, world):  # noqa: F811
    return create_endpoint(api)


def test_a_signed_kpi_webhook_credits_the_rule_s_points(api, endpoint, world):  # noqa: F811
    response = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="msg_1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["event_id"] == "dbx-evt-1001"
    assert body["type"] == "kpi.threshold_crossed"
    assert body["employee_id"] == "E1"
    assert body["occurred_at"] == "2026-12-07T04:00:00Z"
    assert body["source"] == f"hook:{endpoint['id']}"
    assert body["data"]["achievement"] == 112.5
    assert [(r["rule"], r["status"], r["points"], r["balance_after"]) for r in body["rewards"]] == [
        (str(world.id), "credited", 500, 500)
    ]
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 1, "points_requests": 1}
    request = PointsRequest.objects.get()
    assert (request.request_id, request.source) == (f"evt:dbx-evt-1001:{world.id}", "rule:KPI met")
    assert api.get("/api/v1/wallets/E1/").json()["balance"] == 500


def test_below_the_threshold_the_event_is_recorded_without_reward(endpoint):
    response = post_hook(endpoint["url"], darwinbox_payload(achievement=80), endpoint["secret"])
    assert response.status_code == 201
    assert response.json()["rewards"] == []
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 0, "points_requests": 0}


def test_a_repeated_webhook_id_replays_the_event_as_it_is_now(endpoint):
    first = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="msg_1")
    # The sender retries the same message (same webhook-id), even with a body it changed meanwhile.
    again = post_hook(endpoint["url"], darwinbox_payload(achievement=50), endpoint["secret"], webhook_id="msg_1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert recorded() == {"events": 1, "receipts": 1, "rewards": 1, "points_requests": 1}


def test_a_repeated_event_id_under_another_webhook_id_replays_and_is_receipted(endpoint):
    first = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="msg_1")
    again = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="msg_2")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert sorted(HookReceipt.objects.values_list("webhook_id", flat=True)) == ["msg_1", "msg_2"]
    assert recorded()["points_requests"] == 1


def test_a_repeated_event_id_with_another_body_is_a_conflict_and_not_receipted(endpoint):
    post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="msg_1")
    other = post_hook(endpoint["url"], darwinbox_payload(achievement=150), endpoint["secret"], webhook_id="msg_2")
    assert_problem(other, 409, "event_id_conflict", [("event_id", "event_id_conflict")])
    assert list(HookReceipt.objects.values_list("webhook_id", flat=True)) == ["msg_1"]


def _refused(response, message_part: str):
    body = assert_problem(response, 401, "invalid_signature")
    assert message_part in body["detail"], body["detail"]
    assert recorded() == NOTHING


def test_a_timestamp_six_minutes_old_is_refused(endpoint):
    response = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], timestamp=time.time() - 360)
    _refused(response, "too old")


def test_a_timestamp_six_minutes_ahead_is_refused(endpoint):
    response = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], timestamp=time.time() + 360)
    _refused(response, "too new")


def test_a_timestamp_four_minutes_old_is_accepted(endpoint):
    response = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], timestamp=time.time() - 240)
    assert response.status_code == 201


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(endpoint, missing):
    body = json.dumps(darwinbox_payload()).encode()
    headers = signature_headers(endpoint["secret"], body)
    del headers[missing]
    _refused(post_hook(endpoint["url"], body, headers=headers), "Missing required headers")


@pytest.mark.parametrize(
    "signature",
    ["junk", "v1,!!!not-base64!!!", "v1,abc", "v1,", ",", "v2,c2lnbmF0dXJl", "v1,c2lnbmF0dXJl v1", "\u00e9"],
)
def test_a_malformed_signature_is_refused_never_a_500(endpoint, signature):
    body = json.dumps(darwinbox_payload()).encode()
    headers = {**signature_headers(endpoint["secret"], body), "webhook-signature": signature}
    response = post_hook(endpoint["url"], body, headers=headers)
    assert_problem(response, 401, "invalid_signature")
    assert recorded() == NOTHING


@pytest.mark.parametrize("timestamp", ["soon", "nan", "inf", "1e300", "-1", ""])
def test_a_malformed_timestamp_is_refused(endpoint, timestamp):
    body = json.dumps(darwinbox_payload()).encode()
    headers = {**signature_headers(endpoint["secret"], body), "webhook-timestamp": timestamp}
    assert_problem(post_hook(endpoint["url"], body, headers=headers), 401, "invalid_signature")
    assert recorded() == NOTHING


def test_another_secret_or_a_changed_body_is_refused(endpoint):
    body = json.dumps(darwinbox_payload()).encode()
    forged = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    _refused(post_hook(endpoint["url"], body, forged), "No matching signature")
    headers = signature_headers(endpoint["secret"], body)
    tampered = body.replace(b"112.5", b"999.5")
    _refused(post_hook(endpoint["url"], tampered, headers=headers), "No matching signature")


def test_one_matching_signature_among_several_is_enough(endpoint):
    body = json.dumps(darwinbox_payload()).encode()
    headers = signature_headers(endpoint["secret"], body)
    headers["webhook-signature"] = f"v1,c2lnbmF0dXJl {headers['webhook-signature']}"
    assert post_hook(endpoint["url"], body, headers=headers).status_code == 201


def test_an_unknown_or_inactive_endpoint_is_404_and_records_nothing(api, endpoint):
    body = darwinbox_payload()
    assert_problem(post_hook("/hooks/nosuchkeynosuchkey00/", body, endpoint["secret"]), 404, "hook_endpoint_not_found")
    assert_problem(post_hook("/hooks/%00/", body, endpoint["secret"]), 404, "hook_endpoint_not_found")
    assert api.delete(f"{HOOK_ENDPOINTS}{endpoint['id']}/").status_code == 200
    assert_problem(post_hook(endpoint["url"], body, endpoint["secret"]), 404, "hook_endpoint_not_found")
    assert recorded() == NOTHING


def test_only_json_is_taken(endpoint):
    body = b"event_id=1"
    response = post_hook(endpoint["url"], body, endpoint["secret"], content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")
    charset = post_hook(
        endpoint["url"], darwinbox_payload(), endpoint["secret"], content_type="application/json; charset=utf-8"
    )
    assert charset.status_code == 201


def test_a_body_that_is_not_json_is_400_after_the_signature(endpoint):
    response = post_hook(endpoint["url"], b'{"event_id": NaN}', endpoint["secret"])
    assert_problem(response, 400, "malformed_request")
    assert recorded() == NOTHING


def test_a_body_over_the_limit_is_413(endpoint):
    payload = {**darwinbox_payload(), "padding": "x" * (1024 * 1024)}
    assert_problem(post_hook(endpoint["url"], payload, endpoint["secret"]), 413, "payload_too_large")
    assert recorded() == NOTHING


def test_an_unknown_employee_is_422_and_not_receipted(endpoint):
    response = post_hook(endpoint["url"], darwinbox_payload(employee="E404"), endpoint["secret"])
    assert_problem(response, 422, "employee_not_found", [("employee_id", "employee_not_found")])
    assert recorded() == NOTHING


def test_the_view_needs_no_csrf_token_and_takes_only_post(endpoint):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    body = json.dumps(darwinbox_payload()).encode()
    headers = signature_headers(endpoint["secret"], body)
    assert client.post(endpoint["url"], body, content_type="application/json", headers=headers).status_code == 201
    assert client.get(endpoint["url"]).status_code == 405


class TestRotation:
    def rotate(self, api, endpoint) -> str:
        response = api.post(f"{HOOK_ENDPOINTS}{endpoint['id']}/rotate-secret/")
        assert response.status_code == 200, response.content
        assert set(response.json()) == {"id", "name", "url", "mapping", "active", "secret"}
        return response.json()["secret"]

    def test_both_secrets_verify_within_24_hours_then_only_the_new_one(self, api, endpoint):
        old, new = endpoint["secret"], self.rotate(api, endpoint)
        assert new != old and new.startswith("whsec_")
        assert post_hook(endpoint["url"], darwinbox_payload("a"), new).status_code == 201
        assert post_hook(endpoint["url"], darwinbox_payload("b"), old).status_code == 201
        later = timezone.now() + timedelta(hours=24, seconds=1)
        with mock.patch.object(hook_services, "_now", return_value=later):
            assert post_hook(endpoint["url"], darwinbox_payload("c"), new).status_code == 201
            _refused_after = post_hook(endpoint["url"], darwinbox_payload("d"), old)
        assert_problem(_refused_after, 401, "invalid_signature")
        assert sorted(Event.objects.values_list("event_id", flat=True)) == ["a", "b", "c"]

    def test_an_expired_previous_secret_is_refused(self, api, endpoint):
        old = endpoint["secret"]
        self.rotate(api, endpoint)
        HookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
        assert_problem(post_hook(endpoint["url"], darwinbox_payload(), old), 401, "invalid_signature")
        assert recorded() == NOTHING

    def test_a_second_rotation_ends_the_first_secret_s_grace(self, api, endpoint):
        first, second = endpoint["secret"], self.rotate(api, endpoint)
        third = self.rotate(api, endpoint)
        assert post_hook(endpoint["url"], darwinbox_payload("a"), third).status_code == 201
        assert post_hook(endpoint["url"], darwinbox_payload("b"), second).status_code == 201
        assert_problem(post_hook(endpoint["url"], darwinbox_payload("c"), first), 401, "invalid_signature")


def test_senders_are_throttled_per_endpoint_at_the_clients_rate(endpoint, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client": "2/min"}}
    answers = [post_hook(endpoint["url"], darwinbox_payload(f"t{n}"), endpoint["secret"]) for n in range(3)]
    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_problem(answers[2], 429, "throttled")
    assert int(answers[2]["Retry-After"]) >= 1
    assert recorded()["events"] == 2


def test_a_body_that_is_not_utf_8_is_refused_never_a_500(endpoint):
    headers = signature_headers(endpoint["secret"], b"{}")
    assert_problem(post_hook(endpoint["url"], b"\xff\xfe{}", headers=headers), 401, "invalid_signature")
    assert recorded() == NOTHING
