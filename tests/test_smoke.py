from tests.conftest import employee_payload, graphql


def test_rest_and_graphql_round_trip(tenant):
    api = tenant.api()
    created = api.post("/api/v1/employees/", employee_payload("E1", country="gb"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["country"] == "GB"
    status, body = graphql(api, '{ employee(employeeId: "E1") { employeeId country status } }')
    assert status == 200
    assert body == {"data": {"employee": {"employeeId": "E1", "country": "GB", "status": "active"}}}
