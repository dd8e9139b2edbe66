"""What the OpenAPI document says each CSV parameter takes is what the view takes (schemathesis relies on
it): every schema-valid value answers 200, extremes included; every value outside the shape answers 400."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from points.tests.factories import make_programme, seed_employees, submit
from users.commands import OrganisationUpdate
from users.services import organisation_update

pytestmark = pytest.mark.django_db
BASE = "/api/v1/reports/"


@pytest.fixture
def tokyo(tenant):
    organisation_update(
        organisation=tenant.organisation,
        command=OrganisationUpdate(name=tenant.organisation.name, is_active=True, time_zone="Asia/Tokyo"),
    )
    seed_employees(tenant, "E1", business_unit="SALES")
    make_programme(tenant, "P1", budget=1_000)
    submit(tenant, request_id="r1", employee_id="E1", points=10)
    return tenant


def parameters(path: str) -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"to": "0001-01-01"},
        {"group_by": ""},
        {"group_by": "month,month,business_unit"},
        {"programme": "x" * 64, "business_unit": "é ü", "country": "ZZ"},
    ],
    ids=str,
)
@pytest.mark.parametrize("report", ["points", "vouchers"])
def test_schema_valid_values_answer_200(tokyo, report, query):
    path = f"{BASE}{report}.csv"
    shapes = parameters(path)
    for name, value in query.items():  # the case really is schema-valid
        if "pattern" in shapes[name]:
            assert re.search(shapes[name]["pattern"], value), (name, value)
    response = tokyo.api().get(path, query)
    assert response.status_code == 200, response.content
    header = b"".join(response.streaming_content).decode().split("\r\n")[0]
    assert header.endswith({"points": ",expired,recipients", "vouchers": ",face_value,points"}[report])


@pytest.mark.parametrize(
    "query, field",
    [
        ({"programme": "a\x00b"}, "programme"),
        ({"programme": ""}, "programme"),
        ({"business_unit": "x" * 65}, "business_unit"),
        ({"group_by": "month,"}, "group_by"),
        ({"from": "2025-13-01"}, "from"),
    ],
)
def test_values_outside_the_shape_answer_400_naming_them(tokyo, query, field):
    response = tokyo.api().get(f"{BASE}points.csv", query)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_budget_programme_shape(tokyo):
    assert parameters(f"{BASE}budget.csv")["programme"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": "^[^\\x00]+$",
    }
    assert tokyo.api().get(f"{BASE}budget.csv", {"programme": "a\x00"}).status_code == 400
    assert tokyo.api().get(f"{BASE}budget.csv", {"programme": "x" * 64}).json()["code"] == "programme_not_found"
