"""What the vendor modules share: a connection's checks at save time, its credentials as an HTTP caller."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.hrms.vendors.base import ConnectionSpec
from integrations.hrms.vendors.http import BasicAuth, Caller, OAuthClient
from integrations.hrms.vendors.mapping import field_map_errors

OAUTH_KEYS = ("client_id", "client_secret", "token_url")


@dataclass(frozen=True)
class Shape:
    """The settings and credentials a vendor takes (each value a non-empty string)."""

    settings: tuple[str, ...]
    optional_settings: tuple[str, ...] = ()
    basic: tuple[str, ...] = ("username", "password")
    oauth: tuple[str, ...] | None = OAUTH_KEYS  # None: the vendor takes no OAuth client here
    optional_oauth: tuple[str, ...] = ()

    def errors(self, *, base_url: Any, settings: Any, credentials: Any, field_map: Any) -> list[dict]:
        errors = url_errors("base_url", base_url)
        errors += _section_errors("settings", settings, self.settings, self.optional_settings)
        oauth = self.oauth is not None and isinstance(credentials, dict) and any(k in credentials for k in OAUTH_KEYS)
        keys, optional = (self.oauth, self.optional_oauth) if oauth else (self.basic, ())
        errors += _section_errors("credentials", credentials, keys, optional)
        if oauth and isinstance(credentials.get("token_url"), str) and credentials["token_url"]:
            errors += [
                e | {"field": "credentials"} for e in url_errors("credentials.token_url", credentials["token_url"])
            ]
        return errors + field_map_errors(field_map)


def _section_errors(name: str, given: Any, required: tuple, optional: tuple) -> list[dict]:
    if not isinstance(given, dict):
        return [{"field": name, "code": "invalid", "message": f"{name} must be an object."}]
    errors = [
        {"field": name, "code": "required", "message": f"{name}.{key} is required."}
        for key in required
        if key not in given
    ]
    for key, value in given.items():
        if key not in required and key not in optional:
            known = ", ".join(required + optional)
            errors.append(
                {"field": name, "code": "invalid", "message": f"{name}.{str(key)[:40]} is unknown; known: {known}."}
            )
        elif not isinstance(value, str) or not value.strip():
            errors.append({"field": name, "code": "invalid", "message": f"{name}.{key} must be a non-empty string."})
    return errors


def url_errors(name: str, url: Any) -> list[dict]:
    message = None
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else None
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        message = f"{name} must be an http(s) URL with a host."
    elif parsed.userinfo:
        message = f"{name} must not carry a user name or password; put them in credentials."
    elif parsed.query or parsed.fragment:
        message = f"{name} must not have a query or a fragment."
    return [{"field": name, "code": "invalid", "message": message}] if message else []


def caller(vendor: str, spec: ConnectionSpec, *, basic_user: str, fix: str, token_form=()) -> Caller:
    """An HTTP caller with the connection's credentials: an OAuth client when they hold client_id."""
    credentials = spec.credentials
    secrets = tuple(str(value) for value in credentials.values() if value)
    if "client_id" in credentials:
        auth = OAuthClient(
            token_url=credentials["token_url"],
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            refresh_token=credentials.get("refresh_token", ""),
            extra=tuple(token_form),
            fix="client_id, client_secret, token_url and refresh_token"
            if "refresh_token" in credentials
            else "client_id, client_secret and token_url",
        )
    else:
        auth = BasicAuth(basic_user, credentials.get("password", ""), fix=fix)
    return Caller(vendor, auth, secrets)


def endpoint(base_url: str, path: str) -> str:
    """base_url (a host, maybe with a path prefix) joined with the vendor's path."""
    return base_url.rstrip("/") + path


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
