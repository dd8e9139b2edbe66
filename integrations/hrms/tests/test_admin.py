"""The HRMS admin: connections added and changed with the API's checks (errors on the form, nothing saved),
credentials replaced but never shown, "sync now", delete refused while a run is in progress, and a held
run confirmed or discarded, all through the services."""

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import employees, make_connection, nothing_changes
from integrations.hrms.tests.fakes import make_people
from plum.core.keys import unseal

pytestmark = pytest.mark.django_db
CONNECTIONS = reverse("admin:integrations_hrms_connection_changelist")
RUNS = reverse("admin:integrations_hrms_run_changelist")
ADD = reverse("admin:integrations_hrms_connection_add")


def change_url(connection) -> str:
    return reverse("admin:integrations_hrms_connection_change", args=[connection.pk])


def form(fake, organisation, **overrides) -> dict:
    body = fake.connection()
    data = {
        "organisation": organisation.pk,
        "provider": body["provider"],
        "base_url": body["base_url"],
        "settings": json.dumps(body["settings"]),
        "credentials": json.dumps(body["credentials"]),
        "schedule": "0 3 * * *",
        "mode": "full",
        "field_map": "{}",
        "max_deactivation_ratio": "0.1",
        "active": "on",
    }
    return {**data, **overrides}


def credentials_of(connection) -> dict:
    connection.refresh_from_db()
    return json.loads(unseal(connection.credentials_sealed, connection.organisation_id))


def test_adding_a_connection_seals_its_credentials_and_schedules_it(admin_client, tenant, fake_successfactors):
    response = admin_client.post(ADD, form(fake_successfactors, tenant.organisation))

    assert response.status_code == 302, response.content.decode()[-3000:]
    connection = Connection.objects.get()
    assert (connection.provider, connection.schedule, connection.organisation_id) == (
        "successfactors",
        "0 3 * * *",
        tenant.organisation.pk,
    )
    assert credentials_of(connection) == fake_successfactors.credentials()
    assert PeriodicTask.objects.filter(name=f"hrms:{connection.pk}", enabled=True).exists()
    page = admin_client.get(change_url(connection)).content.decode()
    assert fake_successfactors.password not in page and "credentials_sealed" not in page
    assert '<div class="readonly">set</div>' in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"schedule": "every night"}, "A cron expression of five fields"),
        ({"field_map": '{"userId": "salary"}'}, "field_map"),
        ({"settings": "{}"}, "settings.company_id is required."),
        ({"credentials": ""}, "This field is required."),
        ({"max_deactivation_ratio": "1.5"}, "A number from 0 to 1."),
    ],
)
def test_an_invalid_form_shows_the_error_and_saves_nothing(
    admin_client, tenant, fake_successfactors, overrides, message
):
    with nothing_changes():
        response = admin_client.post(ADD, form(fake_successfactors, tenant.organisation, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_base_url_the_guard_refuses_is_a_form_error(admin_client, tenant, fake_successfactors, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with nothing_changes():
        response = admin_client.post(ADD, form(fake_successfactors, tenant.organisation))
    assert response.status_code == 200 and "Plum may not call this URL" in response.content.decode()


def test_changing_keeps_or_replaces_the_credentials(admin_client, tenant, fake_successfactors):
    connection = make_connection(tenant.organisation, fake_successfactors)
    data = form(fake_successfactors, tenant.organisation, credentials="", mode="incremental")

    assert admin_client.post(change_url(connection), data).status_code == 302
    connection.refresh_from_db()
    assert connection.mode == "incremental" and credentials_of(connection) == fake_successfactors.credentials()

    new = {"username": "plum_api", "password": "rotated-password"}
    assert admin_client.post(change_url(connection), {**data, "credentials": json.dumps(new)}).status_code == 302
    assert credentials_of(connection) == new


def run_action(admin_client, url: str, action: str, *objects):
    return admin_client.post(url, {"action": action, "_selected_action": [str(o.pk) for o in objects]}, follow=True)


def test_sync_now_starts_a_run(admin_client, tenant, fake_successfactors, django_capture_on_commit_callbacks):
    connection = make_connection(tenant.organisation, fake_successfactors)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, CONNECTIONS, "sync_now", connection)

    run = Run.objects.get()
    assert f"run {run.pk} queued" in response.content.decode()
    assert (run.trigger, run.status, run.created, run.created_by) == ("admin", "completed", 5, "staff:admin")
    page = admin_client.get(change_url(connection)).content.decode()
    assert "hrms-recent-runs" in page and "fetched 5: 5 created" in page


def held_run(tenant, fake, admin_client, capture) -> Run:
    fake.people = make_people(10)
    connection = make_connection(tenant.organisation, fake)
    with capture(execute=True):
        run_action(admin_client, CONNECTIONS, "sync_now", connection)
    fake.people = fake.people[:1]
    with capture(execute=True):
        run_action(admin_client, CONNECTIONS, "sync_now", connection)
    return Run.objects.get(status="needs_confirmation")


def test_a_held_run_is_confirmed_from_the_admin(
    admin_client, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = held_run(tenant, fake_successfactors, admin_client, django_capture_on_commit_callbacks)
    assert (
        "would_deactivate"
        in admin_client.get(reverse("admin:integrations_hrms_run_change", args=[run.pk])).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, RUNS, "confirm", run)

    assert "confirmed: it is being applied" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.deactivated, run.confirmed_by) == ("completed", 9, "staff:admin")
    assert [e for e, row in employees(tenant.organisation).items() if row["status"] == "active"] == ["E000001"]
    again = run_action(admin_client, RUNS, "confirm", run)
    assert "only a run held at needs_confirmation" in again.content.decode()


def test_a_held_run_is_discarded_from_the_admin(
    admin_client, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = held_run(tenant, fake_successfactors, admin_client, django_capture_on_commit_callbacks)
    before = employees(tenant.organisation)

    response = run_action(admin_client, RUNS, "discard", run)

    assert "discarded" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "Discarded by admin.")
    assert employees(tenant.organisation) == before


def test_delete_is_refused_while_a_run_is_in_progress(
    admin_client, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = held_run(tenant, fake_successfactors, admin_client, django_capture_on_commit_callbacks)
    with nothing_changes():
        response = run_action(admin_client, CONNECTIONS, "delete_connections", run.connection)
    assert "A run of this connection is in progress" in response.content.decode()

    run_action(admin_client, RUNS, "discard", run)
    response = run_action(admin_client, CONNECTIONS, "delete_connections", run.connection)
    assert "deleted." in response.content.decode()
    assert not Connection.objects.exists() and not Run.objects.exists()
