"""Reports' PostgreSQL code (capture triggers and the time zone rebuild) lives in the .sql files beside
this module; migrations load it from here."""

from pathlib import Path

SQL_DIRECTORY = Path(__file__).parent / "sql"
SQL_FILES = ("points_capture.sql", "voucher_capture.sql", "rebuild.sql")
DROP = """
DROP TRIGGER IF EXISTS reports_capture_ledger_entries ON points_ledgerentry;
DROP TRIGGER IF EXISTS reports_capture_vouchers_issued ON vouchers_voucher;
DROP TRIGGER IF EXISTS reports_capture_voucher_status ON vouchers_voucher;
DROP TRIGGER IF EXISTS reports_rebuild_organisation ON users_organisation;
DROP FUNCTION IF EXISTS reports_capture_ledger_entries();
DROP FUNCTION IF EXISTS reports_capture_vouchers_issued();
DROP FUNCTION IF EXISTS reports_capture_voucher_status();
DROP FUNCTION IF EXISTS reports_rebuild_organisation();
"""


MONTHLY_BACKFILL = "monthly_backfill.sql"


def reports_sql() -> str:
    """Every file, in loading order; idempotent (CREATE OR REPLACE)."""
    return "\n".join((SQL_DIRECTORY / name).read_text() for name in SQL_FILES)


def monthly_backfill_sql() -> str:
    """The monthly rollup and recipients rebuilt for every organisation (reports/sql/monthly_backfill.sql)."""
    return (SQL_DIRECTORY / MONTHLY_BACKFILL).read_text()
