"""The rules and events admin: a form that checks through RuleCommand and saves through the service, the
sample event's preview by the dry run, events with their rewards; and the rule page in headless Chromium."""

import json

import pytest
from selenium.webdriver.common.by import By

from integrations.events.models import Rule
from integrations.events.tests.factories import EVENTS, event_body, events_nothing_changes, make_rule, make_world
from points.tests.admin_pages import assert_fits_the_screen, open_page

ADD = "/admin/integrations_events/rule/add/"


def form(organisation=None, **fields) -> dict:
    data = {
        "name": "Top rating",
        "event_type": "rating.submitted",
        "conditions": json.dumps([{"field": "data.rating", "op": "gte", "value": 4}]),
        "points": "500",
        "programme_code": "P1",
        "reason": "Rated 4 or more",
        "limit": "",
        "active": "on",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "sample_event": "",
        **fields,
    }
    if organisation is not None:
        data["organisation"] = str(organisation.pk)
    return data


@pytest.mark.django_db
def test_a_rule_is_added_through_the_service(admin_client, tenant):
    make_world(tenant)

    response = admin_client.post(ADD, form(tenant.organisation, limit='{"count": 1, "per": "month"}'))

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = Rule.objects.get()
    assert (rule.name, rule.programme.code, rule.points, rule.limit_count, rule.limit_per) == (
        "Top rating",
        "P1",
        500,
        1,
        "month",
    )


@pytest.mark.django_db
def test_each_error_shows_on_its_field_and_nothing_is_saved(admin_client, tenant):
    make_world(tenant)
    conditions = json.dumps([{"field": "data.rating", "op": "between", "value": 4}])

    with events_nothing_changes():
        bad = admin_client.post(ADD, form(tenant.organisation, conditions=conditions, programme_code="NOPE"))

    assert bad.status_code == 200
    errors = bad.context["adminform"].form.errors
    assert errors["conditions"] == [
        "conditions[0].op: Unknown op: one of eq, ne, gt, gte, lt, lte, in, not_in, exists, contains."
    ]
    assert "programme_code" not in errors  # the programme is looked up once the rule itself is valid


@pytest.mark.django_db
def test_the_sample_event_is_previewed_by_the_dry_run(admin_client, tenant):
    make_world(tenant)
    rule = make_rule(tenant)
    url = f"/admin/integrations_events/rule/{rule.pk}/change/"
    sample = json.dumps({"type": "rating.submitted", "employee_id": "E1", "data": {"rating": 5}})

    saved = admin_client.post(url, {**form(), "sample_event": sample, "_continue": "1"})
    page = admin_client.get(url).content.decode()

    assert saved.status_code == 302
    assert "Preview: the sample matches, 500 points" in page
    assert "data.rating is 5: gte 4 holds" in page
    assert Rule.objects.get().name == "Top rating"


@pytest.mark.django_db
def test_events_with_rewards_filtered_by_type_and_searched_by_employee(admin_client, tenant, api):
    make_world(tenant, employees=("E1", "E2"))
    make_rule(tenant)
    api.post(EVENTS, event_body(), format="json")
    api.post(EVENTS, event_body("ev-2", employee_id="E2", type="survey.completed"), format="json")

    by_type = admin_client.get("/admin/integrations_events/event/", {"type": "survey.completed"})
    by_employee = admin_client.get("/admin/integrations_events/event/", {"q": "E1"})
    event = by_employee.context["cl"].result_list[0]
    page = admin_client.get(f"/admin/integrations_events/event/{event.pk}/change/").content.decode()

    assert [e.event_id for e in by_type.context["cl"].result_list] == ["ev-2"]
    assert [e.event_id for e in by_employee.context["cl"].result_list] == ["ev-1"]
    assert "evt:ev-1:" in page and "credited" in page


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_rule_page_in_a_browser(admin_browser, screenshot, tenant):
    make_world(tenant)
    rule = make_rule(tenant)
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/integrations_events/rule/{rule.pk}/change/")

    help_text = browser.find_element(By.CSS_SELECTOR, ".field-conditions .help").text
    assert "employee.hire_date" in help_text and "not_in" in help_text
    sample = browser.find_element(By.NAME, "sample_event")
    sample.send_keys(json.dumps({"type": "rating.submitted", "employee_id": "E1", "data": {"rating": 3}}))
    browser.find_element(By.NAME, "_continue").click()

    assert not browser.find_elements(By.CSS_SELECTOR, ".errorlist"), browser.find_element(By.ID, "content").text[:1500]
    preview = browser.find_element(By.CSS_SELECTOR, ".rule-preview")
    assert "does not match" in preview.text and "data.rating is 3: gte 4 fails" in preview.text
    assert preview.is_displayed()
    assert_fits_the_screen(browser, "rule page")
    screenshot("rule-preview")
