"""Every safety rule of a run: a fetch that fails part-way changes nothing (its staged pages are deleted), a
full run deactivating too many waits for confirmation, 401 names the credentials, 429 waits for
Retry-After, 5xx is retried then fails, malformed JSON fails; incremental runs send the watermark and never
deactivate."""

import pytest

from integrations.hrms.models import Connection, Run, RunPage
from integrations.hrms.tests.factories import (
    HRMS,
    confirm,
    create_connection,
    employee_events,
    employees,
    run_of,
    start_run,
    sync_events,
)
from integrations.hrms.tests.fakes import make_people, make_person
from plum.core.models import OutboxEvent
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(api, tenant, fake_successfactors, django_capture_on_commit_callbacks, quick_retries):
    """A SuccessFactors connection (pages of 10) whose first run created its 30 people."""
    fake_successfactors.people = make_people(30)
    fake_successfactors.page_size = 10
    connection = create_connection(api, fake_successfactors.connection())
    assert start_run(api, connection["id"], django_capture_on_commit_callbacks)["created"] == 30
    return connection


def unchanged_since(tenant):
    """What a failed or held run must leave as it was: the employees, the connection (its watermark), and
    every outbox event but the run's own hrms_sync.completed."""
    organisation = tenant.organisation
    outbox = OutboxEvent.objects.filter(organisation_id=organisation.pk).exclude(event_type="hrms_sync.completed")
    return (
        employees(organisation),
        list(Connection.objects.filter(organisation=organisation).values()),
        list(outbox.order_by("pk").values_list("pk", "event_type", "aggregate_id")),
    )


def test_a_source_returning_a_tenth_of_its_people_waits_for_confirmation(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    before, events_before = unchanged_since(tenant), employee_events(tenant.organisation)
    fake_successfactors.people = fake_successfactors.people[:3]

    run = start_run(api, synced["id"], django_capture_on_commit_callbacks)

    assert run["status"] == "needs_confirmation" and run["finished_at"] is None
    assert (run["fetched"], run["active_before"], run["would_deactivate"], run["deactivated"]) == (3, 30, 27, 0)
    assert unchanged_since(tenant) == before
    assert sync_events(tenant.organisation)[-1] == run  # operations hear about a held run
    assert RunPage.objects.filter(run_id=run["id"]).count() == 1  # kept until confirmed or discarded

    response = confirm(api, synced["id"], run["id"], django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    assert (response.json()["id"], response.json()["status"]) == (run["id"], "running")  # the run goes on after
    done = run_of(api, synced["id"], run["id"])
    assert done["status"] == "completed" and done["confirmed_at"] is not None
    assert (done["fetched"], done["deactivated"], done["unchanged"]) == (3, 27, 3)
    stored = employees(tenant.organisation)
    assert sorted(e for e, row in stored.items() if row["status"] == "active") == ["E000001", "E000002", "E000003"]
    assert Connection.objects.get(pk=synced["id"]).watermark == before[1][0]["watermark"]  # the feed moved none
    assert sorted(employee_events(tenant.organisation)[len(events_before) :]) == [
        ("employee.deactivated", f"E{n:06d}") for n in range(4, 31)
    ]
    assert [e["status"] for e in sync_events(tenant.organisation)] == ["completed", "needs_confirmation", "completed"]
    assert RunPage.objects.count() == 0


def test_a_run_under_the_ratio_is_applied_at_once(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    fake_successfactors.people = fake_successfactors.people[:27]  # 3 of 30: exactly 0.1 is not more than 0.1

    run = start_run(api, synced["id"], django_capture_on_commit_callbacks)

    assert (run["status"], run["deactivated"], run["would_deactivate"]) == ("completed", 3, 3)


@pytest.mark.parametrize("state", ["completed", "failed", "running", "queued"])
def test_confirming_a_run_in_another_state_is_409_and_changes_nothing(
    api, tenant, synced, state, django_capture_on_commit_callbacks
):
    run = Run.objects.get(connection_id=synced["id"])
    Run.objects.filter(pk=run.pk).update(status={"running": "processing"}.get(state, state))
    before = unchanged_since(tenant), list(Run.objects.values())

    response = confirm(api, synced["id"], run.pk, django_capture_on_commit_callbacks)

    assert_problem(response, 409, "run_not_awaiting_confirmation")
    assert (unchanged_since(tenant), list(Run.objects.values())) == before


def test_a_run_of_another_connection_or_organisation_is_not_found(
    api, fake_successfactors, synced, other_tenant, django_capture_on_commit_callbacks
):
    run = Run.objects.get(connection_id=synced["id"])
    other = create_connection(api, fake_successfactors.connection())
    assert_problem(api.get(f"{HRMS}{other['id']}/runs/{run.pk}/"), 404, "run_not_found")
    assert_problem(api.get(f"{HRMS}{synced['id']}/runs/nope/"), 404, "run_not_found")
    intruder = other_tenant.api()
    assert_problem(intruder.get(f"{HRMS}{synced['id']}/runs/{run.pk}/"), 404, "connection_not_found")
    response = confirm(intruder, synced["id"], run.pk, django_capture_on_commit_callbacks)
    assert_problem(response, 404, "connection_not_found")


def failed_run(api, tenant, connection, capture) -> dict:
    """Start a run that must fail: it changes no employee and leaves no staged page."""
    before = unchanged_since(tenant)
    run = start_run(api, connection["id"], capture)
    assert run["status"] == "failed" and run["finished_at"] is not None
    assert (run["created"], run["updated"], run["deactivated"], run["unchanged"]) == (0, 0, 0, 0)
    assert unchanged_since(tenant) == before
    assert RunPage.objects.count() == 0
    assert sync_events(tenant.organisation)[-1] == run
    return run


def test_a_fetch_dying_on_page_three_changes_nothing(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    fake_successfactors.people = make_people(25)  # a full run would deactivate 5 …
    for person in fake_successfactors.people:
        person["role"] = "Moved"  # … and change everyone else
    fake_successfactors.fail_on_page, fake_successfactors.failure = 3, "drop"

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert run["fetched"] == 20  # two pages were staged, then thrown away
    assert "SuccessFactors" in run["error"]


def test_a_401_fails_the_run_with_a_message_naming_the_credentials(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    fake_successfactors.status_for_all = 401

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert "credentials" in run["error"] and "401" in run["error"]
    assert fake_successfactors.password not in run["error"]


def test_a_500_forever_fails_the_run_after_its_retries(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks, settings
):
    fake_successfactors.fail_on_page = 1
    requests_before = len(fake_successfactors.data_requests)

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert "500" in run["error"]
    assert len(fake_successfactors.data_requests) - requests_before == settings.HRMS_MAX_ATTEMPTS


def test_malformed_json_fails_the_run(api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks):
    fake_successfactors.malformed_json = True

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert "JSON" in run["error"]


def test_a_429_waits_for_retry_after_then_the_run_completes(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    fake_successfactors.throttle_once_with_retry_after = 1
    fake_successfactors.people.append(make_person(31))
    first = len(fake_successfactors.data_requests)

    run = start_run(api, synced["id"], django_capture_on_commit_callbacks)

    assert (run["status"], run["created"], run["unchanged"]) == ("completed", 1, 30)
    throttled, retried = fake_successfactors.data_requests[first : first + 2]
    assert throttled.status == 429 and retried.status == 200
    assert retried.received_at - throttled.answered_at >= 1


def test_an_incremental_run_sends_the_stored_watermark_and_never_deactivates(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks
):
    watermark = Connection.objects.get(pk=synced["id"]).watermark
    assert watermark  # the full run stored the latest lastModifiedDateTime it saw
    api.patch(f"{HRMS}{synced['id']}/", {"mode": "incremental"}, format="json")
    fake_successfactors.people = fake_successfactors.people[:2]  # nobody else changed: nobody leaves
    fake_successfactors.people[1].update(role="Director", last_modified="2027-01-01T00:00:00")
    first = len(fake_successfactors.data_requests)

    run = start_run(api, synced["id"], django_capture_on_commit_callbacks)

    assert (run["status"], run["mode"], run["fetched"], run["updated"], run["deactivated"]) == (
        "completed",
        "incremental",
        1,
        1,
        0,
    )
    assert (
        "lastModifiedDateTime gt datetime'2026-01-01T00:00:30"
        in fake_successfactors.data_requests[first].query["$filter"]
    )
    assert Connection.objects.get(pk=synced["id"]).watermark > watermark
    active = [e for e, row in employees(tenant.organisation).items() if row["status"] == "active"]
    assert len(active) == 30


def test_a_page_larger_than_the_limit_fails_the_run(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks, settings
):
    settings.HRMS_MAX_PAGE_BYTES = 64_000
    fake_successfactors.huge_answer = 100_000

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert "PLUM_HRMS_MAX_PAGE_BYTES" in run["error"]


def test_a_server_slower_than_the_timeout_fails_the_run(
    api, tenant, fake_successfactors, synced, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.2
    settings.HRMS_MAX_ATTEMPTS = 2
    fake_successfactors.slow_seconds = 1

    run = failed_run(api, tenant, synced, django_capture_on_commit_callbacks)

    assert "SuccessFactors" in run["error"] and "2 attempts" in run["error"]
