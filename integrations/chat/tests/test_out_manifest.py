"""The Slack app manifest in the repository asks for exactly the bot scopes Plum uses and points the slash
command and interactivity at Plum's doors (docs/slack-teams.md tells how to create the app from it)."""

from pathlib import Path

import yaml
from django.urls import resolve

MANIFEST = Path(__file__).resolve().parents[1] / "slack-app-manifest.yaml"
HOST = "https://plum.example.com"


def test_the_manifest_has_the_scopes_the_command_and_interactivity():
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "chat:write",
        "chat:write.public",
        "im:write",
        "users:read",
        "users:read.email",
        "commands",
    ]
    [command] = manifest["features"]["slash_commands"]
    assert (command["command"], command["url"]) == ("/plum", f"{HOST}/integrations/slack/commands/")
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity == {"is_enabled": True, "request_url": f"{HOST}/integrations/slack/interactions/"}
    for url in (command["url"], interactivity["request_url"]):
        resolve(url.removeprefix(HOST))  # Plum answers there (chat-in's doors)
