from celery import shared_task

from plum.core.audit.purge import purge_expired


@shared_task(name="plum.core.audit.purge_audit_task")
def purge_audit_task() -> int:
    return purge_expired()
