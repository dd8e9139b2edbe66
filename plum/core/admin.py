from plum.core.audit import admin as audit_admin  # noqa: F401 (registers the trail's admin)
