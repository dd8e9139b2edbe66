"""/integrations/: what Slack and Teams call (slash commands, button clicks, Teams outgoing webhooks)."""

urlpatterns: list = []
