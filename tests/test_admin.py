"""The operations staff's door: pages load, client secrets are shown once, actions go through services."""

import re

import pytest
from django.contrib.auth.models import Permission

from plum.core.models import OutboxEvent
from tests.conftest import employee_payload, token_request
from users.models import ApiClient, Employee


@pytest.fixture
def staffed(tenant):
    api = tenant.api()
    for n in range(3):
        assert (
            api.post(
                "/api/v1/employees/", employee_payload(f"E{n}", business_unit="ENG", country="GB"), format="json"
            ).status_code
            == 201
        )
    return tenant


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/organisation/",
        "/admin/users/apiclient/",
        "/admin/users/apiclient/add/",
        "/admin/users/employee/",
        "/admin/users/employee/?status__exact=active&country=GB&business_unit__code=ENG",
        "/admin/users/employee/?q=e1",
        "/admin/users/businessunit/",
        "/admin/users/costcentre/",
    ],
)
def test_pages_load(admin_client, staffed, url):
    assert admin_client.get(url).status_code == 200


def test_employee_search_and_filters_narrow_the_list(admin_client, staffed):
    page = admin_client.get("/admin/users/employee/?q=e1@example.com").content.decode()
    assert "e1@example.com" in page and "e2@example.com" not in page


def test_creating_a_client_shows_its_secret_once(admin_client, tenant):
    response = admin_client.post(
        "/admin/users/apiclient/add/",
        {
            "organisation": tenant.organisation.pk,
            "name": "Workday",
            "allowed_scopes": ["employees:write"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', response.content.decode()).group(1)
    client = ApiClient.objects.get(name="Workday")
    assert "no-store" in response["Cache-Control"]
    assert client.allowed_scopes == ["employees:write"]
    assert secret not in client.client_secret
    assert token_request(client.client_id, secret).status_code == 200
    assert secret not in admin_client.get(f"/admin/users/apiclient/{client.pk}/change/").content.decode()


def test_rotating_a_secret_shows_the_new_one_and_kills_the_old(admin_client, tenant):
    response = admin_client.post(
        "/admin/users/apiclient/", {"action": "rotate_secret", "_selected_action": [tenant.client.pk]}
    )
    new_secret = re.search(r'<code id="client-secret">([^<]+)</code>', response.content.decode()).group(1)
    assert token_request(tenant.client.client_id, tenant.client_secret).status_code == 401
    assert token_request(tenant.client.client_id, new_secret).status_code == 200


def test_deactivate_action_goes_through_the_service(admin_client, staffed):
    ids = list(Employee.objects.filter(employee_id__in=["E0", "E1"]).values_list("pk", flat=True))
    admin_client.post("/admin/users/employee/", {"action": "deactivate", "_selected_action": ids})

    assert sorted(Employee.objects.filter(status="inactive").values_list("employee_id", flat=True)) == ["E0", "E1"]
    assert OutboxEvent.objects.filter(event_type="employee.deactivated").count() == 2

    admin_client.post("/admin/users/employee/", {"action": "reactivate", "_selected_action": ids})
    assert not Employee.objects.filter(status="inactive").exists()


def test_employees_cannot_be_edited_by_hand(admin_client, staffed):
    employee = Employee.objects.get(employee_id="E0")
    response = admin_client.post(f"/admin/users/employee/{employee.pk}/change/", {"first_name": "Mallory"})
    employee.refresh_from_db()
    assert response.status_code == 403
    assert employee.first_name == "Ada"


def test_blank_client_name_is_a_form_error_and_adds_nothing(admin_client, tenant):
    before = ApiClient.objects.count()
    response = admin_client.post(
        "/admin/users/apiclient/add/",
        {"organisation": tenant.organisation.pk, "name": "   ", "allowed_scopes": ["employees:read"]},
    )
    assert response.status_code == 200
    assert "A client needs a name." in response.content.decode()
    assert ApiClient.objects.count() == before


def test_staff_who_may_only_view_clients_cannot_rotate_a_secret(client, django_user_model, tenant):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apiclient"))
    client.force_login(viewer)
    stored = ApiClient.objects.get(pk=tenant.client.pk).client_secret

    assert 'value="rotate_secret"' not in client.get("/admin/users/apiclient/").content.decode()
    response = client.post(
        "/admin/users/apiclient/", {"action": "rotate_secret", "_selected_action": [tenant.client.pk]}
    )
    assert "client-secret" not in response.content.decode()
    assert ApiClient.objects.get(pk=tenant.client.pk).client_secret == stored
