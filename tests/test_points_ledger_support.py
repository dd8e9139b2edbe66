"""Moved to points/tests/ledger_support.py; these names stay importable from here for the voucher and
error tests that still import them from this module."""

from points.tests.ledger_support import codes, run_parallel

__all__ = ["codes", "run_parallel"]
