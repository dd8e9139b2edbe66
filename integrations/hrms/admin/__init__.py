"""Operations staff: HRMS connections (sync now, credentials replaced but never shown) and their runs
(confirm or discard a held run). Every write goes through integrations.hrms.services."""

from integrations.hrms.admin import connections, runs  # noqa: F401 (registers the ModelAdmins)
