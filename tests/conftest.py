"""Helpers to call the doors; the fixtures are in the root conftest.py, shared with each app's tests/."""

import base64

from django.test import Client
from rest_framework.test import APIClient


def graphql(client: APIClient, query: str, variables: dict | None = None):
    """POST a GraphQL operation; answers (status, body)."""
    response = client.post("/graphql/", {"query": query, "variables": variables or {}}, format="json")
    return response.status_code, response.json()


def employee_payload(employee_id: str = "E1", **fields) -> dict:
    return {
        "employee_id": employee_id,
        "email": f"{employee_id.lower()}@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        **fields,
    }


def token_request(client_id, secret, scope=None, *, basic=True, address="10.0.0.1", grant="client_credentials"):
    data = {"grant_type": grant}
    if scope is not None:
        data["scope"] = scope
    headers = {"REMOTE_ADDR": address}
    if basic:
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {raw}"
    else:
        data.update(client_id=client_id, client_secret=secret)
    return Client().post("/oauth/token/", data, **headers)
