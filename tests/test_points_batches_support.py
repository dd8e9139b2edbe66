"""Moved to points/tests/batches_support.py. This name stays only until the modules that still import it
(the batch API, access, admin and upload tests, plum/api/tests, points/tests/test_admin_pages.py and
test_claims_on_broken_plans.py) import from there; then delete it."""

from points.tests.batches_support import BATCHES, UPLOADS, Org, batch_tables, credits, make_org, wallets

__all__ = ["BATCHES", "UPLOADS", "Org", "batch_tables", "credits", "make_org", "wallets"]
