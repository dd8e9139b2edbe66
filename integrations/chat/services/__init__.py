"""Slack and Teams services."""
