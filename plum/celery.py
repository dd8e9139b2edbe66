"""The Celery app and the periodic schedule. Without REDIS_URL tasks run in-process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plum.settings")

app = Celery("plum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["plum.core.jobs"])  # the job runner's run_job and sweep_jobs
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
    # Reports: deltas folded into the rollup every 2 s (reports are exact before too: they read both).
    "fold-report-deltas": {
        "task": "reports.tasks.fold_points_deltas_task",
        "schedule": 2.0,
        "options": {"expires": 4.0},
    },
    "reconcile-reports": {"task": "reports.tasks.reconcile_reports_task", "schedule": 3600.0},
}
