"""The ledger's PostgreSQL code (functions and triggers) lives in the .sql files beside this module;
migrations load it from here, and a test compares what the database holds with the files."""

import re
from pathlib import Path

SQL_DIRECTORY = Path(__file__).parent / "sql"
# In the order they load: the credit statement calls the acceptance rule.
SQL_FILES = ("invariants.sql", "acceptance.sql", "points_request_credit.sql")

_FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(.*?\bAS \$\$(.*?)\$\$;", re.DOTALL)
_TRIGGER = re.compile(r"^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER (\w+) .*?;", re.DOTALL | re.MULTILINE)


def sql_text(name: str) -> str:
    return (SQL_DIRECTORY / name).read_text()


def ledger_sql() -> str:
    """Every file, in loading order: idempotent (CREATE OR REPLACE, or DROP IF EXISTS then CREATE)."""
    return "\n".join(sql_text(name) for name in SQL_FILES)


def function_bodies() -> dict[str, str]:
    """Function name -> its body (the text between $$), as the files define them."""
    return {m[1]: m[2] for name in SQL_FILES for m in _FUNCTION.finditer(sql_text(name))}


def trigger_definitions() -> dict[str, str]:
    """Trigger name -> its CREATE statement (without the final semicolon), as the files define them."""
    return {m[1]: m[0][:-1] for name in SQL_FILES for m in _TRIGGER.finditer(sql_text(name))}
