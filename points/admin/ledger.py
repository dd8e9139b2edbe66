"""Admin for programmes, points requests, accounts and reconciliation issues."""
