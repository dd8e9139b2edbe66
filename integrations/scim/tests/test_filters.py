"""Filters (RFC 7644 §3.4.2.2) on /Users, /Groups and /.search: what each operator and attribute selects, and
400 invalidFilter for what Plum cannot answer, never everyone."""

import pytest

from integrations.scim import commands
from integrations.scim.errors import ScimError
from integrations.scim.resources import MAX_RESULTS, FullUser
from integrations.scim.tests.conftest import ENTERPRISE, assert_error, created, group_body, user_body


@pytest.fixture
def world(scim, other_scim) -> dict:
    alice = created(
        scim,
        user_body(
            "alice@example.com",
            employee_number="E1",
            externalId="ext-A",
            title="Engineer",
            name={"givenName": "Alice", "familyName": "Adams"},
            enterprise={"department": "R&D", "division": "Eng", "costCenter": "CC1"},
        ),
    )
    bob = created(
        scim,
        user_body(
            "Bob@Example.com",
            employee_number="E2",
            externalId="ext-b",
            active=False,
            name={"givenName": "Bob", "familyName": "Brown"},
            emails=[{"value": "bob@example.com", "type": "home", "primary": True}],
            enterprise={"manager": {"value": alice["id"]}},
        ),
    )
    carol = created(
        scim,
        user_body(
            "carol@other.example",
            employee_number="E3",
            title="Manager",
            name={"givenName": "Carol", "familyName": "Clark"},
        ),
    )
    created(other_scim, user_body("alice@example.com", employee_number="E1", externalId="ext-A", title="Engineer"))
    return {"alice": alice, "bob": bob, "carol": carol}


def selected(scim, world, filter_text: str, path="/Users") -> set[str]:
    response = scim.get(path, {"filter": filter_text})
    assert response.status_code == 200, response.content
    names = {resource["id"]: name for name, resource in world.items()}
    body = response.json()
    assert body["totalResults"] == len(body.get("Resources", []))
    return {names[resource["id"]] for resource in body.get("Resources", [])}


CASES = [
    ('userName eq "ALICE@example.com"', {"alice"}),
    ('userName ne "alice@example.com"', {"bob", "carol"}),
    ('userName co "EXAMPLE"', {"alice", "bob", "carol"}),
    ('userName sw "b"', {"bob"}),
    ('userName ew ".COM"', {"alice", "bob"}),
    ('userName gt "bob@example.com"', {"carol"}),
    ('userName le "bob@example.com"', {"alice", "bob"}),
    ('externalId eq "ext-A"', {"alice"}),
    ('externalId eq "EXT-A"', set()),  # caseExact
    ("externalId pr", {"alice", "bob"}),
    ('emails eq "BOB@example.com"', {"bob"}),
    ('emails.value co "alice"', {"alice"}),
    ('emails[type eq "work"].value eq "alice@example.com"', {"alice"}),
    ('emails[type eq "work"].value eq "bob@example.com"', set()),
    ('emails[type eq "home"]', {"bob"}),
    ("active eq true", {"alice", "carol"}),
    ('active eq "False"', {"bob"}),
    ("active ne true", {"bob"}),
    ('name.familyName eq "brown"', {"bob"}),
    ('name.givenName sw "Ca"', {"carol"}),
    ("title pr", {"alice", "carol"}),
    ("not (title pr)", {"bob"}),
    (f'{ENTERPRISE}:employeeNumber eq "E2"', {"bob"}),
    (f'{ENTERPRISE}:department eq "r&d"', {"alice"}),
    (f'{ENTERPRISE}:division eq "eng"', {"alice"}),
    (f"{ENTERPRISE}:costCenter pr", {"alice"}),
    ('userName eq "alice@example.com" or userName eq "carol@other.example"', {"alice", "carol"}),
    ('(active eq true and title co "eng") or externalId eq "ext-b"', {"alice", "bob"}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@other.example"', {"carol"}),
    ('meta.lastModified gt "2000-01-01T00:00:00Z"', {"alice", "bob", "carol"}),
    ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
    ('id eq "not-a-uuid"', set()),
    # attribute names and operators in any case (RFC 7643 §2.1, RFC 7644 §3.4.2.2)
    ('USERNAME EQ "alice@example.com"', {"alice"}),
    ('Emails.Value SW "BOB"', {"bob"}),
    ('Active eq "TRUE"', {"alice", "carol"}),
    (f'{ENTERPRISE.upper()}:DEPARTMENT eq "R&D"', {"alice"}),
    ("userName pr and not (externalId pr)", {"carol"}),
]


@pytest.mark.parametrize(("filter_text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_filter_selects_what_it_says_and_nothing_of_another_organisation(scim, world, filter_text, expected):
    assert selected(scim, world, filter_text) == expected


def test_ids_managers_and_modification_times(scim, world):
    alice = world["alice"]["id"]
    scim.patch(f"/Users/{world['carol']['id']}", [{"op": "replace", "path": "title", "value": "Director"}])
    since = scim.get(f"/Users/{world['bob']['id']}").json()["meta"]["lastModified"]

    assert selected(scim, world, f'id eq "{alice}"') == {"alice"}
    assert selected(scim, world, f'id ne "{alice}"') == {"bob", "carol"}
    assert selected(scim, world, f'{ENTERPRISE}:manager.value eq "{alice}"') == {"bob"}
    assert selected(scim, world, f'meta.lastModified gt "{since}"') == {"carol"}


INVALID = [
    'foo eq "x"',
    "userName eq",
    'userName eq "x" and',
    'emails[type eq "work"',
    'displayName eq "x"',  # a Group attribute
    'active co "t"',
    "userName gt 5",
    'meta.lastModified gt "yesterday"',
    'id co "a"',
    "name pr",
    'userName eq "a\x00b"',
]


@pytest.mark.parametrize("filter_text", INVALID)
def test_a_filter_plum_cannot_answer_is_400_invalid_filter(scim, world, filter_text):
    assert_error(scim.get("/Users", {"filter": filter_text}), 400, "invalidFilter")


def test_groups_by_name_members_and_external_id(scim, world):
    alice = world["alice"]["id"]
    sales = created(scim, {**group_body("Sales", world["carol"]["id"]), "externalId": "g-1"})
    groups = {"eng": None, "sales": sales}

    def names(filter_text):
        found = scim.get("/Groups", {"filter": filter_text}).json().get("Resources", [])
        return {r["displayName"] for r in found}

    assert names('displayName eq "SALES"') == {"Sales"}
    assert names(f'members[value eq "{alice}"]') == {"Eng"}
    assert names(f'members eq "{world["carol"]["id"]}"') == {"Sales"}
    assert names('externalId eq "g-1"') == {"Sales"}
    assert names("members pr") == {"Eng", "Sales"}
    assert groups["sales"]["displayName"] == "Sales"
    assert_error(scim.get("/Groups", {"filter": 'userName eq "x"'}), 400, "invalidFilter")


def test_a_root_search_covers_users_and_groups(scim, world):
    def found(filter_text):
        response = scim.post(
            "/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter_text}
        )
        assert response.status_code == 200, response.content
        return sorted(r.get("userName") or r["displayName"] for r in response.json()["Resources"])

    assert found('userName sw "a" or displayName eq "eng"') == ["Eng", "alice@example.com"]
    assert found("not (displayName pr)") == ["Bob@Example.com", "alice@example.com", "carol@other.example"]


@pytest.mark.parametrize(
    ("given", "start_index", "count"),
    [
        ({}, 1, MAX_RESULTS),
        ({"count": ["5000"]}, 1, MAX_RESULTS),
        ({"count": ["-3"]}, 1, 0),
        ({"startIndex": ["0"], "count": ["7"]}, 1, 7),
        ({"startIndex": ["-5"]}, 1, MAX_RESULTS),
    ],
)
def test_paging_parameters_are_bounded(given, start_index, count):
    query = commands.list_query(FullUser, given)

    assert (query.start_index, query.count) == (start_index, count)


@pytest.mark.parametrize(
    "given",
    [
        {"count": ["x"]},
        {"startIndex": ["1.5"]},
        {"filtre": ['userName eq "a"']},
        {"count": ["1", "2"]},
        {"attributes": ["userName"], "excludedAttributes": ["title"]},
    ],
)
def test_a_query_parameter_that_does_not_parse_is_refused(given):
    with pytest.raises(ScimError) as refused:
        commands.list_query(FullUser, given)

    assert refused.value.code.scim_type == "invalidValue"
