"""The typed commands every points door parses with: the errors they answer (the API's words and order),
the defaults they fill, and the list check batches and uploads use."""

import pytest

from plum.core.errors import ValidationFailed
from points.commands import (
    PointsBatchCommand,
    PointsRequestCommand,
    PointsUploadRowCommand,
    ProgrammeCommand,
    ProgrammeTopupCommand,
    check_each,
    points_request_clean,
)

REQUEST = {"request_id": "R1", "employee_id": "E1", "points": 5, "programme": "P1"}
ANY_STRING = "A string of 1 to 128 characters."
PRINTABLE = "1 to 128 printable ASCII characters."


def errors_of(command, data) -> list[tuple]:
    with pytest.raises(ValidationFailed) as refused:
        command.parse(data)
    return [(e["field"], e["code"], e["message"]) for e in refused.value.errors]


def test_a_request_fills_its_optional_fields_as_the_services_expect():
    command = PointsRequestCommand.parse({**REQUEST, "reason": None, "source": None, "metadata": None})
    assert command.as_clean() == {**REQUEST, "reason": "", "source": "", "metadata": {}}


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ([REQUEST], [(None, "invalid", "A points request must be an object.")]),
        (
            {**REQUEST, "request_id": "r" * 129},
            [("request_id", "invalid", ANY_STRING), ("request_id", "invalid", PRINTABLE)],
        ),
        ({**REQUEST, "request_id": "has space"}, [("request_id", "invalid", PRINTABLE)]),
        ({**REQUEST, "points": True}, [("points", "invalid", "Must be a whole number.")]),
        ({**REQUEST, "programme": None}, [("programme", "required", "This field is required.")]),
        ({**REQUEST, "metadata": {"k": "v" * 4100}}, [("metadata", "invalid", "A JSON object of at most 4096 bytes.")]),
        ({**REQUEST, "reason": "nul\x00"}, [("reason", "invalid", "A string of at most 500 characters.")]),
        (
            {"zz": 1, "request_id": "a b", "employee_id": 3, "points": "x", "programme": "P"},
            [
                ("zz", "unknown_field", "Unknown field 'zz'."),
                ("employee_id", "invalid", ANY_STRING),
                ("request_id", "invalid", PRINTABLE),
                ("points", "invalid", "Must be a whole number."),
            ],
        ),
    ],
)
def test_a_request_is_refused_in_the_words_and_order_of_the_api(data, errors):
    assert errors_of(PointsRequestCommand, data) == errors


def test_a_programme_gets_the_defaults_and_limits_typed_once():
    command = ProgrammeCommand.parse({"code": "P-1", "name": "  Spot  "})
    assert command.model_dump() == {
        "code": "P-1",
        "name": "Spot",
        "approval_threshold": None,
        "max_points_per_request": 100_000,
        "points_validity_days": 365,
        "status": "active",
    }
    assert (
        ProgrammeCommand.parse({"code": "P", "name": "N", "points_validity_days": 36_500}).points_validity_days
        == 36_500
    )
    too_long = {"code": "P", "name": "N", "points_validity_days": 36_501, "max_points_per_request": 2_000_000_001}
    assert errors_of(ProgrammeCommand, too_long) == [
        ("max_points_per_request", "invalid", "A whole number from 1 to 2000000000."),
        ("points_validity_days", "invalid", "A whole number from 1 to 36500."),
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, [("code", "required"), ("name", "required")]),
        ({"code": "", "name": ""}, [("code", "required"), ("name", "required")]),
        ({"code": 5, "name": "  "}, [("code", "invalid"), ("name", "invalid")]),
        ({"code": "OK", "name": "X", "status": None}, [("status", "invalid")]),
        ({"budget": 1, "code": "OK", "name": "X"}, [("budget", "unknown_field")]),
    ],
)
def test_a_programme_says_required_for_an_empty_code_or_name(data, errors):
    assert [(field, code) for field, code, _ in errors_of(ProgrammeCommand, data)] == errors


def test_a_topup_takes_any_programme_text_and_checks_points_and_memo():
    assert ProgrammeTopupCommand.parse({"programme": "P\x00", "points": 1}).memo == ""
    assert errors_of(ProgrammeTopupCommand, {"programme": "P", "points": 0, "memo": "x\x00"}) == [
        ("points", "invalid", "A whole number from 1 to 2000000000."),
        ("memo", "invalid", "Text without NUL characters."),
    ]


def test_a_batch_envelope_keeps_its_requests_as_sent():
    requests = [{"anything": 1}, 5]
    assert PointsBatchCommand.parse({"batch_id": "B1", "requests": requests}).requests == requests
    assert errors_of(PointsBatchCommand, {"batch_id": None, "requests": []}) == [
        ("batch_id", "required", PRINTABLE),
        ("requests", "invalid", "A list of 1 to 100,000 requests."),
    ]


def test_check_each_answers_each_item_as_parsing_it_alone_would():
    items = [REQUEST, {**REQUEST, "points": "5"}, 7, {**REQUEST, "request_id": "R2", "reason": "why"}]
    checked = check_each(PointsRequestCommand, items)
    assert points_request_clean(checked[0]) == PointsRequestCommand.parse(REQUEST).as_clean()
    assert points_request_clean(checked[3])["reason"] == "why"
    for item, outcome in zip(items[1:3], checked[1:3], strict=True):
        assert isinstance(outcome, ValidationFailed)
        assert [(e["field"], e["code"], e["message"]) for e in outcome.errors] == errors_of(PointsRequestCommand, item)
    assert check_each(PointsRequestCommand, [REQUEST, REQUEST]) == [REQUEST, REQUEST]


@pytest.mark.parametrize(
    ("cells", "errors"),
    [
        ({"points": "abc"}, [("points", "invalid", "'abc' is not a whole number.")]),
        ({"points": "-3"}, [("points", "points_out_of_range", "Points must be at least 1, not -3.")]),
        ({"points": ""}, [("points", "required", "This value is required.")]),
        (
            {"request_id": "r" * 129, "programme": "p" * 129},
            [
                ("request_id", "invalid", "At most 128 characters."),
                ("programme", "invalid", "At most 128 characters."),
                ("request_id", "invalid", PRINTABLE),
            ],
        ),
    ],
)
def test_an_upload_row_is_refused_in_the_words_of_the_row_report(cells, errors):
    row = {"employee_id": "E1", "points": "5", "reason": "", "request_id": "R1", "programme": "P1", **cells}
    assert errors_of(PointsUploadRowCommand, row) == errors


def test_an_upload_row_asks_for_a_whole_number_of_points():
    row = {"employee_id": "E1", "points": "+7", "reason": "", "request_id": "R1", "programme": "P1"}
    assert PointsUploadRowCommand.parse(row).model_dump() == {**row, "points": 7}
