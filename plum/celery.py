"""The Celery app and the periodic schedule. Without REDIS_URL tasks run in-process (eager)."""

import logging
import os

from celery import Celery, Task

from plum.core.outage import is_database_unavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plum.settings")
logger = logging.getLogger(__name__)


class PlumTask(Task):
    """Every task's base. A task that failed because the database went away (a restart, a failover) is sent
    again after PLUM_DATABASE_RETRY_AFTER_SECONDS, for as long as the outage lasts, instead of failing:
    every task is safe to run twice, and the next run gets a new connection (Celery's Django fixup closes
    the broken one after the task). In-process (eager) runs raise to their caller as before."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if self.request.is_eager or self.request.called_directly or not is_database_unavailable(exc):
                raise
            from django.conf import settings

            logger.warning("%s: the database is unavailable (%s); sent again", self.name, exc)
            retries = self.request.retries + 1  # never exhausted by an outage, however long
            raise self.retry(exc=exc, countdown=settings.PLUM_DATABASE_RETRY_AFTER_SECONDS, max_retries=retries)


app = Celery("plum", task_cls=PlumTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["plum.core.jobs"])  # the job runner's run_job and sweep_jobs
app.autodiscover_tasks(["plum.core.audit"])  # the audit trail's purge
app.conf.beat_schedule = {
    "purge-idempotency-keys": {"task": "plum.api.tasks.idempotency_purge_task", "schedule": 3600.0},
    # Re-sends jobs of every kind whose message was lost (Redis restarted, a worker killed): plum.core.jobs.
    "sweep-jobs": {"task": "plum.core.jobs.sweep_jobs", "schedule": 60.0},
    "expire-points-lots": {"task": "points.tasks.expire_lots_task", "schedule": 300.0},
    "reconcile-points-ledger": {"task": "points.tasks.reconcile_ledger_task", "schedule": 86400.0},
    "expire-vouchers": {"task": "vouchers.tasks.expire_vouchers_task", "schedule": 300.0},
    "reconcile-voucher-stock": {"task": "vouchers.tasks.reconcile_stock_task", "schedule": 86400.0},
    "raise-anniversaries": {"task": "integrations.events.tasks.raise_anniversaries_task", "schedule": 3600.0},
    # Outbound webhooks: the schedule lives in the database, so a beat message lost or dropped as expired
    # (workers busy) only waits for the next one.
    "relay-outbox": {
        "task": "integrations.webhooks.tasks.relay_outbox_task",
        "schedule": 1.0,
        "options": {"expires": 5.0},
    },
    "dispatch-deliveries": {
        "task": "integrations.webhooks.tasks.dispatch_deliveries_task",
        "schedule": 5.0,
        "options": {"expires": 10.0},
    },
    # Slack and Teams notifications: their schedule lives in the database too (integrations.chat).
    "dispatch-notifications": {
        "task": "integrations.chat.tasks.dispatch_notifications_task",
        "schedule": 3.0,
        "options": {"expires": 6.0},
    },
    "purge-outbox": {"task": "integrations.webhooks.tasks.purge_outbox_task", "schedule": 3600.0},
    # Audit entries older than PLUM_AUDIT_RETENTION_DAYS, a day's range at a time (plum.core.audit.purge).
    "purge-audit": {"task": "plum.core.audit.purge_audit_task", "schedule": 3600.0},
    # Reports: deltas folded into the rollup every 2 s (reports are exact before too: they read both).
    "fold-report-deltas": {
        "task": "reports.tasks.fold_points_deltas_task",
        "schedule": 2.0,
        "options": {"expires": 4.0},
    },
    "reconcile-reports": {"task": "reports.tasks.reconcile_reports_task", "schedule": 3600.0},
}
