"""A connection's credentials never leave Plum once saved: not through REST, the admin's pages (a form sent
back with an error included), the outbox, a run's error when the vendor echoes them, nor any log line."""

import json
import logging

import pytest
from django.urls import reverse

from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import HRMS, create_connection, start_run
from plum.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_credentials_appear_in_no_answer_page_event_or_log(
    api, admin_client, tenant, fake_successfactors, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    body = fake_successfactors.connection()
    secrets = [body["credentials"]["password"], body["credentials"]["username"]]
    connection = create_connection(api, body)
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    echo = {"error": {"message": {"value": f"Password {secrets[0]} of {secrets[1]}@ACME is locked"}}}
    fake_successfactors.server.expect_oneshot_request("/odata/v2/User").respond_with_json(echo, status=400)
    failed = start_run(api, connection["id"], django_capture_on_commit_callbacks)
    assert failed["error"] == "SuccessFactors refused the request (400): Password *** of ***@ACME is locked"
    run = Run.objects.get(pk=failed["id"])
    add = admin_client.post(
        reverse("admin:integrations_hrms_connection_add"),
        {"organisation": tenant.organisation.pk, "provider": "successfactors", "base_url": body["base_url"],
         "settings": json.dumps(body["settings"]), "credentials": json.dumps(body["credentials"]),
         "schedule": "not cron", "mode": "full", "field_map": "{}", "max_deactivation_ratio": "0.1"},
    )  # fmt: skip
    assert add.status_code == 200 and "A cron expression of five fields" in add.content.decode()

    shown = [
        api.get(HRMS).content,
        api.get(f"{HRMS}{connection['id']}/").content,
        api.get(f"{HRMS}{connection['id']}/runs/").content,
        api.patch(f"{HRMS}{connection['id']}/", {"schedule": "0 1 * * *"}, format="json").content,
        add.content,
        admin_client.get(reverse("admin:integrations_hrms_connection_changelist")).content,
        admin_client.get(reverse("admin:integrations_hrms_connection_change", args=[connection["id"]])).content,
        admin_client.get(reverse("admin:integrations_hrms_run_changelist")).content,
        admin_client.get(reverse("admin:integrations_hrms_run_change", args=[run.pk])).content,
        json.dumps(list(OutboxEvent.objects.values_list("payload", flat=True))).encode(),
        caplog.text.encode(),
    ]
    assert len(caplog.records) > 0  # the runs did log (requests, tasks)
    for text in shown:
        assert all(secret.encode() not in text for secret in secrets), text[:3000]
    assert Connection.objects.count() == 1
