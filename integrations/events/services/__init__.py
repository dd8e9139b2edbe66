"""Events received and rewarded, reward rules, work anniversaries."""

from integrations.events.services.anniversaries import anniversaries_raise
from integrations.events.services.events import Received, event_receive
from integrations.events.services.rules import (
    DryRun,
    rule_create,
    rule_deactivate,
    rule_dry_run,
    rule_test,
    rule_update,
)

__all__ = [
    "DryRun",
    "Received",
    "anniversaries_raise",
    "event_receive",
    "rule_create",
    "rule_deactivate",
    "rule_dry_run",
    "rule_test",
    "rule_update",
]
