"""The ledger's primitives live in points.ledger; these names stay importable from here for the code
that still imports them from this module (points.services.programmes, benchmarks/vouchers_campaign.py)."""

from points.ledger import budget_shards_create, budget_topup, organisation_account_id, post_transaction

__all__ = ["budget_shards_create", "budget_topup", "organisation_account_id", "post_transaction"]
