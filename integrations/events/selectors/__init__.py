"""Reads of events, rewards and rules, and their one representation."""

from integrations.events.selectors.events import EventFilter, event_document, event_get, event_list, reward_document
from integrations.events.selectors.rules import rule_command_data, rule_document, rule_get, rule_limit, rule_list

__all__ = [
    "EventFilter",
    "event_document",
    "event_get",
    "event_list",
    "reward_document",
    "rule_command_data",
    "rule_document",
    "rule_get",
    "rule_limit",
    "rule_list",
]
