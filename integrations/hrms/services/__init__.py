"""Every write of HRMS connections and runs. Doors (REST, admin, tasks) only call these."""

from integrations.hrms.services.connections import (
    check_changes,
    check_connection,
    connection_create,
    connection_delete,
    connection_spec,
    connection_update,
)
from integrations.hrms.services.job import RUN_JOBS
from integrations.hrms.services.runs import run_confirm, run_discard, run_start, run_start_scheduled

__all__ = [
    "RUN_JOBS",
    "check_changes",
    "check_connection",
    "connection_create",
    "connection_delete",
    "connection_spec",
    "connection_update",
    "run_confirm",
    "run_discard",
    "run_start",
    "run_start_scheduled",
]
