"""The admin's address bar and action selections: junk is a message or a 404, never a 500, and changes
nothing. Programme and product validity stays within a century, so expiry dates stay in the calendar."""

import pytest
from django.contrib.auth.models import Group

from plum.core.errors import ValidationFailed
from points.tests.factories import system
from tests.support import nothing_changes
from vouchers import services
from vouchers.commands import ProductUpdate
from vouchers.tests.factories import make_catalogue

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/users/employee/?status__exact=%00",
    "/admin/users/employee/?country=a%00b",
    "/admin/points/pointsrequest/?programme__code=%00",
    "/admin/points/pointsrequest/?created_at__year=0",
    "/admin/points/ledgerentry/?created_at__year=" + str(10**30),
    "/admin/vouchers/product/?currency=%00",
    "/admin/auth/user/?username=%00",
]


@pytest.mark.parametrize("url", CHANGELISTS)
def test_list_filter_values_the_database_refuses_redirect_with_the_error_flag(admin_client, url):
    response = admin_client.get(url)
    assert (response.status_code, response["Location"]) == (302, url.split("?")[0] + "?e=1")


ACTIONS = [
    ("/admin/points/programme/", "top_up"),
    ("/admin/points/pointsrequest/", "approve"),
    ("/admin/users/employee/", "deactivate"),
    ("/admin/users/apiclient/", "rotate_secret"),
    ("/admin/auth/group/", "delete_selected"),
]


@pytest.mark.parametrize(("url", "action"), ACTIONS)
@pytest.mark.parametrize("selected", ["junk", "", "1.5", "\x00", str(10**30)])
def test_an_action_on_a_selection_that_holds_no_ids_changes_nothing(admin_client, url, action, selected):
    Group.objects.create(name="ops")
    with nothing_changes():
        response = admin_client.post(url, {"action": action, "_selected_action": [selected], "points": "5"})
    assert (response.status_code, response["Location"]) == (302, url)
    messages = [m.message for m in response.wsgi_request._messages]
    assert messages == ["The selection holds something that is not a row's id."]


@pytest.mark.parametrize(("url", "action"), ACTIONS)
def test_an_action_on_an_id_of_no_row_changes_nothing(admin_client, url, action):
    Group.objects.create(name="ops")
    with nothing_changes():
        response = admin_client.post(url, {"action": action, "_selected_action": ["-1"], "points": "5"})
    assert response.status_code in (200, 302)  # a message, or Django's empty confirmation page


@pytest.mark.parametrize("upload_id", ["junk", "00000000-0000-0000-0000-000000000000"])
def test_confirming_an_upload_that_is_not_one_is_404(admin_client, upload_id):
    assert admin_client.post(f"/admin/points/pointsupload/{upload_id}/confirm/").status_code == 404


def test_validity_is_at_most_a_century(api, tenant):
    response = api.post(
        "/api/v1/programmes/", {"code": "LONG", "name": "Long", "points_validity_days": 36_501}, format="json"
    )
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("points_validity_days", "A whole number from 1 to 36500.")
    ]
    assert (
        api.post(
            "/api/v1/programmes/", {"code": "LONG", "name": "Long", "points_validity_days": 36_500}, format="json"
        ).status_code
        == 201
    )


def test_a_product_valid_for_more_than_a_century_is_refused(tenant):
    product = make_catalogue(tenant).generated
    with pytest.raises(ValidationFailed) as refused:
        services.product_update(
            actor=system(tenant), command=ProductUpdate.parse({"product_id": product.pk, "validity_days": 36_501})
        )
    assert [(e["field"], e["code"]) for e in refused.value.errors] == [("validity_days", "invalid")]
    product.refresh_from_db()
    assert product.validity_days != 36_501
