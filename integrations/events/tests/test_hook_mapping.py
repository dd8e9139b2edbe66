"""The mapping language (integrations.events.mapping: RFC 6901 pointers, constants, numbers read as ids and
Unix times) and a body the mapping cannot read: 422 mapping_failed naming the pointer, nothing recorded."""

import time
from datetime import UTC, datetime

import pytest

from integrations.events.mapping import MappingFailed, pointer_problem, read_event, resolve
from integrations.events.tests.test_hook_helpers import (
    NOTHING,
    create_endpoint,
    darwinbox_payload,
    post_hook,
    recorded,
    world,  # noqa: F401 (fixture)
)
from tests.support import assert_problem

SIGNED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
DOCUMENT = {"a/b": {"m~n": [10, {"x": "deep"}]}, "": "empty name", "n": 42, "list": []}


@pytest.mark.parametrize(
    ("pointer", "value"),
    [("", DOCUMENT), ("/a~1b/m~0n/0", 10), ("/a~1b/m~0n/1/x", "deep"), ("/", "empty name"), ("/n", 42)],
)
def test_pointers_resolve_as_rfc_6901_says(pointer, value):
    assert pointer_problem(pointer) is None
    assert resolve(DOCUMENT, pointer, "f") == value


@pytest.mark.parametrize(
    ("pointer", "reason"),
    [
        ("/missing", "no member 'missing'"),
        ("/a~1b/m~0n/2", "the list has no item 2"),
        ("/a~1b/m~0n/01", "'01' is not a list index"),
        ("/a~1b/m~0n/-", "'-' is not a list index"),
        ("/n/x", "cannot look up 'x' in a number"),
        ("/list/0", "the list has no item 0"),
    ],
)
def test_a_pointer_that_finds_nothing_says_why(pointer, reason):
    with pytest.raises(MappingFailed) as failed:
        resolve(DOCUMENT, pointer, "employee_id")
    assert (failed.value.field, failed.value.pointer, failed.value.reason) == ("employee_id", pointer, reason)


@pytest.mark.parametrize("pointer", ["a", "/a~", "/~2", 3, None, "/" * 257])
def test_what_is_not_a_pointer(pointer):
    assert pointer_problem(pointer) is not None


def test_ids_may_be_numbers_times_may_be_unix_seconds_or_milliseconds_and_default_to_the_signature():
    mapping = {"event_id": "/id", "type": "/kind", "employee_id": "/who", "occurred_at": "/at"}
    body = {"id": 991, "kind": "course.completed", "who": 1042, "at": 1765101600}
    assert read_event(mapping, body, signed_at=SIGNED_AT) == {
        "event_id": "991",
        "type": "course.completed",
        "employee_id": "1042",
        "occurred_at": "2025-12-07T10:00:00+00:00",
    }
    assert read_event(mapping, {**body, "at": 1765101600123}, signed_at=SIGNED_AT)["occurred_at"] == (
        "2025-12-07T10:00:00.123000+00:00"
    )
    without = {key: value for key, value in mapping.items() if key != "occurred_at"}
    assert read_event(without, body, signed_at=SIGNED_AT)["occurred_at"] == "2026-12-07T10:00:00+00:00"


def test_data_gathers_named_pointers():
    mapping = {
        "event_id": "/id",
        "type": "=survey.completed",
        "employee_id": "/who",
        "data": {"score": "/r/s", "all": ""},
    }
    body = {"id": "r1", "who": "E1", "r": {"s": 9}}
    assert read_event(mapping, body, signed_at=SIGNED_AT)["data"] == {"score": 9, "all": body}


@pytest.mark.parametrize(
    ("body", "field", "pointer", "reason"),
    [
        ({"id": True, "who": "E1"}, "event_id", "/id", "found true or false, not a string"),
        ({"id": "x", "who": None}, "employee_id", "/who", "found null, not a string"),
        ({"id": "x", "who": "E1", "at": "soon", "d": {}}, None, None, None),
        ({"id": "x", "who": "E1", "at": [1], "d": {}}, "occurred_at", "/at", "found a list, not a time"),
        ({"id": "x", "who": "E1", "at": 1e300, "d": {}}, "occurred_at", "/at", "the number is not a Unix time"),
        ({"id": "x", "who": "E1", "at": 1, "d": [1]}, "data", "/d", "found a list, not an object"),
    ],
)
def test_values_of_the_wrong_kind_fail(body, field, pointer, reason):
    mapping = {"event_id": "/id", "type": "=t", "employee_id": "/who", "occurred_at": "/at", "data": "/d"}
    if field is None:  # a string time is EventCommand's to judge
        assert read_event(mapping, body, signed_at=SIGNED_AT)["occurred_at"] == "soon"
        return
    with pytest.raises(MappingFailed) as failed:
        read_event(mapping, body, signed_at=SIGNED_AT)
    assert (failed.value.field, failed.value.pointer, failed.value.reason) == (field, pointer, reason)


@pytest.mark.django_db
class TestOverHttp:
    @pytest.fixture
    def endpoint(self, api, world):  # noqa: F811
        return create_endpoint(api)

    def test_a_body_without_the_employee_is_422_naming_the_pointer(self, endpoint):
        payload = darwinbox_payload()
        del payload["employee"]["employee_no"]
        body = assert_problem(
            post_hook(endpoint["url"], payload, endpoint["secret"]),
            422,
            "mapping_failed",
            [("mapping.employee_id", "mapping_failed")],
        )
        assert "/employee/employee_no" in body["detail"] and "no member 'employee_no'" in body["detail"]
        assert recorded() == NOTHING

    def test_a_value_the_event_refuses_is_422_naming_the_field_and_pointer(self, endpoint):
        payload = {**darwinbox_payload(), "triggered_at": "2026-12-07 09:30"}  # no offset
        body = assert_problem(
            post_hook(endpoint["url"], payload, endpoint["secret"]),
            422,
            "mapping_failed",
            [("mapping.occurred_at", "invalid")],
        )
        assert body["errors"][0]["message"].startswith("/triggered_at: ")
        assert recorded() == NOTHING

    def test_a_body_that_is_a_list_fails_at_the_first_pointer(self, endpoint):
        body = assert_problem(
            post_hook(endpoint["url"], [1, 2], endpoint["secret"]),
            422,
            "mapping_failed",
            [("mapping.event_id", "mapping_failed")],
        )
        assert "/event_id" in body["detail"]
        assert recorded() == NOTHING

    def test_a_replayed_webhook_id_is_answered_before_the_mapping_reads_the_body(self, endpoint):
        first = post_hook(endpoint["url"], darwinbox_payload(), endpoint["secret"], webhook_id="m1")
        again = post_hook(
            endpoint["url"], {"unrelated": True}, endpoint["secret"], webhook_id="m1", timestamp=time.time()
        )
        assert (first.status_code, again.status_code) == (201, 200)
