"""The reconciliation's findings in the admin: staff can list and filter them, nobody can add, edit or
delete one through the admin (a finding is evidence the service wrote)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection

from points.tests.factories import make_programme, seed_employees, submit
from reports import services
from reports.models import ReconciliationIssue

pytestmark = pytest.mark.django_db
LIST = "/admin/reports/reconciliationissue/"


def tampered_findings(*tenants) -> list[ReconciliationIssue]:
    """A credit through the real service in each organisation, folded, then each rollup bumped behind the
    service's back: the reconciliation writes one finding per organisation, in the tenants' order."""
    for tenant in tenants:
        seed_employees(tenant, "E1", business_unit="SALES")
        make_programme(tenant, "P1", budget=1_000)
        submit(tenant, request_id="r1", employee_id="E1", points=100)
    services.points_deltas_fold()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_pointsdaily SET awarded = awarded + 1 WHERE organisation_id = ANY(%s)",
            [[tenant.organisation.pk for tenant in tenants]],
        )
    issues = services.reports_reconcile()
    assert len(issues) == len(tenants)
    return sorted(issues, key=lambda issue: [t.organisation.pk for t in tenants].index(issue.organisation_id))


def snapshot() -> list[tuple]:
    return list(ReconciliationIssue.objects.order_by("pk").values_list("pk", "area", "key", "expected", "found"))


def test_staff_list_and_filter_the_findings(admin_client, tenant, other_tenant):
    issue, other_issue = tampered_findings(tenant, other_tenant)

    listed = admin_client.get(LIST)
    by_area = admin_client.get(LIST, {"area": "rollup"})
    other_area = admin_client.get(LIST, {"area": "vouchers"})
    one_organisation = admin_client.get(LIST, {"organisation__id__exact": str(tenant.organisation.pk)})

    assert [r.status_code for r in (listed, by_area, other_area, one_organisation)] == [200, 200, 200, 200]
    assert set(listed.context["cl"].result_list) == {issue, other_issue}
    assert set(by_area.context["cl"].result_list) == {issue, other_issue}
    assert list(other_area.context["cl"].result_list) == []
    assert list(one_organisation.context["cl"].result_list) == [issue]
    filters = [spec.title for spec in listed.context["cl"].filter_specs]
    assert filters == ["area", "organisation", "detected at"]
    assert issue.key in listed.content.decode()


def test_no_one_adds_edits_or_deletes_a_finding(admin_client, tenant):
    (issue,) = tampered_findings(tenant)
    before = snapshot()
    change = f"{LIST}{issue.pk}/change/"

    viewed = admin_client.get(change)
    assert viewed.status_code == 200
    assert viewed.context["has_change_permission"] is False
    assert 'name="_save"' not in viewed.content.decode()
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.post(f"{LIST}add/", {"area": "rollup", "key": "k"}).status_code == 403
    assert admin_client.post(change, {"area": "vouchers", "key": "edited"}).status_code == 403
    assert admin_client.post(f"{LIST}{issue.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client.post(LIST, {"action": "delete_selected", "_selected_action": [issue.pk], "post": "yes"})
    assert bulk.status_code == 200  # the action is not offered: the list comes back, nothing deleted
    assert admin_client.get(LIST).context["action_form"] is None  # no actions at all, delete_selected included
    assert snapshot() == before


def test_staff_without_the_view_permission_are_refused(client, tenant):
    tampered_findings(tenant)
    staff = User.objects.create_user("looker", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(LIST).status_code == 403
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="reports", codename="view_reconciliationissue")
    )
    assert client.get(LIST).status_code == 200
