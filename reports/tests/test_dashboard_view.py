"""The organisation dashboard in the admin, with data made through the real services: each panel's figures,
only the organisation's own numbers, the date range (bad dates are a message, never a 500), staff only,
unknown organisations 404, and the CSV downloads behind its links."""

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.events import services as event_services
from integrations.events.commands import EventCommand
from integrations.events.tests.factories import event_body, make_rule
from points.tests.factories import make_programme, seed_employees, submit, system
from reports.dashboard.forms import default_range
from vouchers.tests.factories import make_catalogue, order, redeem

pytestmark = pytest.mark.django_db


def dashboard_url(organisation, query: str = "") -> str:
    return f"/admin/reports/dashboard/{organisation.pk}/" + (f"?{query}" if query else "")


def build_world(tenant, *, scale: int = 1) -> dict:
    """Two business units, programme P1, credits from two sources and one reward rule, vouchers of one brand
    ordered with points and one redeemed. Answers what the dashboard should show."""
    seed_employees(tenant, "E1", business_unit="SALES")
    seed_employees(tenant, "E2", business_unit="ENG")
    make_programme(tenant, "P1", budget=100_000 * scale, max_points_per_request=10**6)
    submit(tenant, request_id="r1", employee_id="E1", points=3_000 * scale, source="workday")
    submit(tenant, request_id="r2", employee_id="E2", points=1_200 * scale, source="lms")
    make_rule(tenant, "Top rating", points=500 * scale)
    command = EventCommand.parse(event_body("ev-1", employee_id="E2"))
    event_services.event_receive(actor=system(tenant), command=command)
    catalogue = make_catalogue(tenant, stock_codes=3)
    placed = order(tenant, employee_id="E1", product=catalogue.stock, quantity=2)  # 2 x 25 EUR x 10 points
    redeem(tenant, placed.document["vouchers"][0]["code"])
    return {"awarded": 4_700 * scale, "redeemed": 500, "recipients": 2, "issued": 2, "vouchers_redeemed": 1}


def figures(html: str) -> dict[str, str]:
    found = re.findall(r'id="figure-([a-z-]+)"><span class="value">([^<]*)</span>', html)
    return dict(found)


def bars(html: str, panel: str) -> list[tuple[str, str, str]]:
    section = html.split(f'id="panel-{panel}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="bar"[^>]*data-series="([^"]*)" data-category="([^"]*)" data-value="([^"]*)"', section)


def test_the_dashboard_shows_the_organisations_figures_and_charts(admin_client, tenant, other_tenant):
    expected = build_world(tenant)
    build_world(other_tenant, scale=7)  # globex's numbers must appear nowhere on acme's page
    month = timezone.localdate().strftime("%Y-%m")

    response = admin_client.get(dashboard_url(tenant.organisation))

    assert response.status_code == 200
    html = response.content.decode()
    assert figures(html) == {
        "awarded": "4,700",
        "redeemed": "500",
        "recipients": "2",
        "vouchers-issued": "2",
        "vouchers-redeemed": "1",
    }
    assert sorted(bars(html, "awarded")) == [("ENG", month, "1700"), ("SALES", month, "3000")]
    assert bars(html, "redeemed") == [("SALES", month, "500")]
    assert bars(html, "brands") == [("Issued", "Skyway", "2"), ("Redeemed", "Skyway", "1")]
    assert bars(html, "rules") == [("Points credited", "Top rating", "500")]
    assert bars(html, "sources") == [
        ("Points credited", "workday", "3000"),
        ("Points credited", "lms", "1200"),
        ("Points credited", "rule:Top rating", "500"),
    ]
    assert 'id="budget-P1"' in html and "95,300 of 100,000 points left" in html
    assert "32,900" not in html and "29,400" not in html  # globex: its totals, its two credits
    assert expected["awarded"] == 4_700


def test_the_date_range_changes_the_figures_and_the_csv_links_follow_it(admin_client, tenant):
    build_world(tenant)
    yesterday = timezone.localdate() - timedelta(days=1)

    html = admin_client.get(dashboard_url(tenant.organisation, f"from=2024-01-01&to={yesterday}")).content.decode()

    assert figures(html)["awarded"] == "0" and figures(html)["vouchers-issued"] == "0"
    assert bars(html, "awarded") == [] and "No activity in this period" in html
    assert f"points.csv?from=2024-01-01&amp;to={yesterday}" in html
    assert f"vouchers.csv?from=2024-01-01&amp;to={yesterday}" in html
    assert 'data-from="2024-01-01"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-45", "From: Enter a valid date."),
        ("to=yesterday", "To: Enter a valid date."),
        ("from=2026-05-01&to=2026-04-01", "“From” must be on or before “To”."),
        ("from=1999-12-31&to=2000-01-31", "Dates start on 2000-01-01."),
        ("from=2010-01-01&to=2020-01-01", "A range of at most five years, please."),
        ("from=%00", "From: Enter a valid date."),
    ],
)
def test_bad_dates_are_a_message_and_the_default_range_is_shown(admin_client, tenant, query, message):
    build_world(tenant)

    response = admin_client.get(dashboard_url(tenant.organisation, query))

    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'id="range-error">(.*?)</li>', html, re.S).group(1)
    assert " ".join(error.replace("&ldquo;", "“").replace("&rdquo;", "”").split()) == (
        f"{message} Showing the last 12 months instead."
    )
    window = default_range(timezone.localdate())
    assert f'data-from="{window.date_from}"' in html and figures(html)["awarded"] == "4,700"


def test_staff_only_and_an_unknown_organisation_is_404(client, admin_client, django_user_model, tenant):
    url = dashboard_url(tenant.organisation)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")

    client.force_login(django_user_model.objects.create_user("member", password="password", is_staff=False))
    assert client.get(url).status_code == 302

    clerk = django_user_model.objects.create_user("clerk", password="password", is_staff=True)  # no permission
    client.force_login(clerk)
    assert client.get(url).status_code == 403

    assert admin_client.get(f"/admin/reports/dashboard/{uuid.uuid4()}/").status_code == 404
    assert admin_client.get("/admin/reports/dashboard/not-a-uuid/").status_code in (302, 404)


def test_the_dashboard_is_linked_from_the_index_and_the_organisation(admin_client, tenant):
    link = dashboard_url(tenant.organisation)
    assert "/admin/reports/dashboard/" in admin_client.get("/admin/").content.decode()
    assert link in admin_client.get("/admin/reports/dashboard/").content.decode()
    assert link in admin_client.get(f"/admin/users/organisation/{tenant.organisation.pk}/change/").content.decode()
    assert "/admin/reports/dashboard/" in admin_client.get("/admin/users/organisation/").content.decode()


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_downloads_for_staff_follow_the_range(admin_client, tenant, other_tenant):
    build_world(tenant)
    build_world(other_tenant, scale=7)
    month = timezone.localdate().strftime("%Y-%m")
    base = f"/admin/reports/dashboard/{tenant.organisation.pk}/"

    points = read_csv(admin_client.get(f"{base}points.csv"))
    assert points[0] == ["business_unit", "month", "awarded", "reversed", "redeemed", "expired", "recipients"]
    assert sorted(points[1:]) == [
        ["ENG", month, "1700", "0", "0", "0", "1"],
        ["SALES", month, "3000", "0", "500", "0", "1"],
    ]

    vouchers = read_csv(admin_client.get(f"{base}vouchers.csv"))
    assert vouchers[0] == [
        "brand",
        "month",
        "currency",
        "issued",
        "redeemed",
        "expired",
        "cancelled",
        "face_value",
        "points",
    ]
    assert vouchers[1:] == [["Skyway", month, "EUR", "2", "1", "0", "0", "50.00", "500"]]

    assert read_csv(admin_client.get(f"{base}points.csv?from=2024-01-01&to=2024-12-31"))[1:] == []
    budget = read_csv(admin_client.get(f"{base}budget.csv?programme=P1"))
    assert budget[0] == ["month", "funded", "awarded", "reversed", "remaining"]
    assert budget[-1][0] == month and budget[-1][-1] == "95300"

    reversed_range = admin_client.get(f"{base}points.csv?from=2026-05-01&to=2026-04-01")
    assert (reversed_range.status_code, reversed_range.content.decode()) == (400, "“From” must be on or before “To”.")
    assert admin_client.get(f"{base}vouchers.csv?to=junk").status_code == 400
    assert admin_client.get(f"{base}budget.csv?programme=NOPE").status_code == 404
    assert admin_client.get(f"{base}ledger.csv").status_code == 404
    assert admin_client.get(f"/admin/reports/dashboard/{uuid.uuid4()}/points.csv").status_code == 404
