"""Slack and Teams services: channels (channels.py), the relay's fan-out (fanout.py), sending (notifications.py
over senders.py). The inbound half (slash commands, clicks, Teams outgoing webhooks) is in inbound*.py."""
