"""Typed input of every events write: an event, a rule, a rule's dry run."""

from integrations.events.commands.events import EventCommand
from integrations.events.commands.rules import RuleCommand, RulePatchCommand, RuleTestCommand

__all__ = ["EventCommand", "RuleCommand", "RulePatchCommand", "RuleTestCommand"]
