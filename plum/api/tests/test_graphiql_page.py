"""GraphiQL at /graphql/ comes from Plum's own static files: no request leaves the server that served it."""

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import employee_payload
from tests.support import seed

BROWSER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"  # variables is hidden
ASSET = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"(?:\s+integrity="([^"]+)")?', re.S)


@pytest.fixture
def graphiql_on(settings):
    settings.PLUM_GRAPHQL = {**settings.PLUM_GRAPHQL, "GRAPHIQL": True}


def page_assets(client) -> list[tuple[str, str | None]]:
    response = client.get("/graphql/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8")
    return ASSET.findall(response.content.decode())


@pytest.mark.django_db
def test_the_page_names_only_its_own_static_files_each_with_the_hash_of_the_file_shipped(client, graphiql_on):
    assets = page_assets(client)

    assert [url for url, _ in assets] == [
        "data:,",  # an empty icon: no /favicon.ico request
        "/static/graphiql/graphiql.min.css",
        "/static/graphiql/react.production.min.js",
        "/static/graphiql/react-dom.production.min.js",
        "/static/graphiql/graphiql.min.js",
        "/static/graphiql/plum-graphiql.js",
    ]
    for url, integrity in assets[1:]:
        path = Path(finders.find(url.removeprefix("/static/")))
        if integrity:  # the vendored files are the unchanged builds whose hashes graphene-django pins
            digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
            assert integrity == f"sha256-{digest}", url
        served = client.get(url)
        assert served.status_code == 200, url
        assert b"".join(served.streaming_content) == path.read_bytes()
    assert sum(1 for _, integrity in assets if integrity) == 4


@pytest.mark.django_db(transaction=True)
def test_graphiql_loads_from_the_live_server_alone_and_runs_a_query_with_a_token(
    browser, screenshot, live_server, graphiql_on, tenant
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    seed(tenant, [employee_payload("E1")])
    browser.get(f"{live_server.url}/graphql/")
    browser.execute_script("localStorage.clear()")  # GraphiQL keeps the last query there
    browser.refresh()
    wait = WebDriverWait(browser, 20)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, QUERY_EDITOR))
    # the schema request GraphiQL makes on load is refused until a real token is in the headers
    wait.until(lambda b: '"code": "invalid_token"' in b.find_element(By.CSS_SELECTOR, ".graphiql-response").text)

    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert {urlsplit(url).netloc for url in resources} == {urlsplit(live_server.url).netloc}
    assert {urlsplit(url).path for url in resources} == {
        "/static/graphiql/graphiql.min.css",
        "/static/graphiql/react.production.min.js",
        "/static/graphiql/react-dom.production.min.js",
        "/static/graphiql/graphiql.min.js",
        "/static/graphiql/plum-graphiql.js",
        "/graphql/",
    }
    assert "every operation needs a token" in browser.find_element(By.CSS_SELECTOR, QUERY_EDITOR).text
    assert '"Authorization": "Bearer <token>"' in browser.find_element(By.CSS_SELECTOR, HEADERS_EDITOR).text
    assert screenshot("opened").stat().st_size > 0

    headers = json.dumps({"Authorization": f"Bearer {tenant.token()}"})
    browser.execute_script(f"document.querySelector('{HEADERS_EDITOR}').CodeMirror.setValue(arguments[0])", headers)
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(lambda b: '"totalCount": 1' in b.find_element(By.CSS_SELECTOR, ".graphiql-response").text)
    answer = browser.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    assert '"employeeId": "E1"' in answer
    assert '"balance": 0' in answer
    assert screenshot("answered").stat().st_size > 0


@pytest.mark.django_db(transaction=True)
def test_with_graphiql_off_a_browser_gets_no_page(browser, live_server, settings):
    settings.PLUM_GRAPHQL = {**settings.PLUM_GRAPHQL, "GRAPHIQL": False}
    browser.get(f"{live_server.url}/graphql/")
    assert browser.find_elements("css selector", ".graphiql-container") == []
    assert "not_authenticated" in browser.page_source
