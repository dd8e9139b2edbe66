"""Where reports read. A trivial version: the replica router (DATABASE_REPLICA_URL) replaces this file."""


def reporting_database() -> str:
    """The database alias every report read uses."""
    return "default"
