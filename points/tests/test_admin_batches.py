"""The operations staff's door to batches and uploads: upload for an organisation, preview, confirm, progress."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from points.models import PointsBatch, PointsUpload
from points.services import points_batch_process
from points.tests.batches_support import batch_tables, credits, make_org, wallets

HEADER = "employee_id,points,reason,request_id,programme\n"


@pytest.fixture
def org(tenant):
    return make_org(tenant, employees=3)


def test_upload_preview_confirm_and_progress(admin_client, org, tenant):
    file = SimpleUploadedFile("a.csv", (HEADER + "E00000,5,,a-1,KUDOS\nNOPE,5,,a-2,KUDOS\n").encode(), "text/csv")
    response = admin_client.post(
        "/admin/points/pointsupload/add/", {"organisation": tenant.organisation.pk, "file": file}
    )
    upload = PointsUpload.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{upload.pk}/change/")
    assert (upload.rows, upload.valid, upload.invalid, upload.created_by) == (2, 1, 1, "staff:admin")

    page = admin_client.get(f"/admin/points/pointsupload/{upload.pk}/change/").content.decode()
    assert re.search(
        r"<td>3</td><td>employee_id</td><td>employee_not_found</td><td>No employee &#x27;NOPE&#x27;.</td>", page
    )
    assert 'id="confirm-upload"' in page

    confirmed = admin_client.post(f"/admin/points/pointsupload/{upload.pk}/confirm/")
    batch = PointsBatch.objects.get()
    assert confirmed["Location"] == f"/admin/points/pointsbatch/{batch.pk}/change/"
    assert admin_client.post(f"/admin/points/pointsupload/{upload.pk}/confirm/")["Location"].endswith(
        f"/{batch.pk}/change/"
    )  # confirming again shows the same batch
    assert PointsBatch.objects.count() == 1
    assert (
        'id="confirm-upload"'
        not in admin_client.get(f"/admin/points/pointsupload/{upload.pk}/change/").content.decode()
    )

    page = admin_client.get(f"/admin/points/pointsbatch/{batch.pk}/change/").content.decode()
    assert '<progress max="1" value="0"></progress> <span class="batch-progress">0% · 0 of 1 processed' in page
    points_batch_process(batch.pk)
    page = admin_client.get(f"/admin/points/pointsbatch/{batch.pk}/change/").content.decode()
    assert "100% · 1 of 1 processed: 1 credited, 0 pending approval, 0 rejected, 0 replayed" in page
    assert wallets(org) == {"E00000": 5}


def test_a_bad_file_shows_its_error_and_stores_nothing(admin_client, org, tenant):
    before = batch_tables()
    file = SimpleUploadedFile("a.csv", b"employee_id,points\n", "text/csv")
    page = admin_client.post("/admin/points/pointsupload/add/", {"organisation": tenant.organisation.pk, "file": file})
    assert page.status_code == 200
    assert "Column &#x27;reason&#x27; is missing." in page.content.decode()
    assert batch_tables() == before


def test_lists_filter_by_status_and_pages_load(admin_client, org):
    done = org.batch("done", credits(org, 2, prefix="d"))
    points_batch_process(done.pk)
    org.batch("waiting", credits(org, 2, prefix="w"))
    page = admin_client.get("/admin/points/pointsbatch/?status__exact=completed").content.decode()
    assert ">done<" in page and ">waiting<" not in page
    for url in (
        "/admin/points/pointsbatch/",
        "/admin/points/pointsupload/",
        "/admin/points/pointsupload/add/",
        f"/admin/points/pointsbatchitem/?batch__id__exact={done.pk}",
    ):
        assert admin_client.get(url).status_code == 200
    assert admin_client.get(f"/admin/points/pointsupload/{done.pk}/confirm/").status_code == 405


def test_error_text_with_braces_shows_escaped(admin_client, org):
    item = {"request_id": "a{0}", "employee_id": "<b>{x}</b>", "points": 5, "programme": "KUDOS"}
    batch = org.batch("braces", [item])
    points_batch_process(batch.pk)
    page = admin_client.get(f"/admin/points/pointsbatch/{batch.pk}/change/")
    assert page.status_code == 200
    shown = "<li>#0 a{0} employee_not_found: No employee &#x27;&lt;b&gt;{x}&lt;/b&gt;&#x27;.</li>"
    assert shown in page.content.decode()


def test_only_staff_who_may_change_batches_can_retry_them(client, django_user_model, org):
    batch = org.batch("failed", credits(org, 2, prefix="f"))
    PointsBatch.objects.filter(pk=batch.pk).update(status=PointsBatch.Status.FAILED)
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pointsbatch"))
    client.force_login(viewer)

    assert 'value="retry"' not in client.get("/admin/points/pointsbatch/").content.decode()
    client.post("/admin/points/pointsbatch/", {"action": "retry", "_selected_action": [batch.pk]})
    assert PointsBatch.objects.get(pk=batch.pk).status == PointsBatch.Status.FAILED

    viewer.user_permissions.add(Permission.objects.get(codename="change_pointsbatch"))
    viewer = django_user_model.objects.get(pk=viewer.pk)  # permissions are cached on the instance
    client.force_login(viewer)
    assert 'value="retry"' in client.get("/admin/points/pointsbatch/").content.decode()
    client.post("/admin/points/pointsbatch/", {"action": "retry", "_selected_action": [batch.pk]})
    assert PointsBatch.objects.get(pk=batch.pk).status == PointsBatch.Status.PROCESSING
