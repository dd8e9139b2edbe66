"""The Celery app and the periodic schedule. Without REDIS_URL tasks run in-process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plum.settings")

app = Celery("plum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "purge-idempotency-keys": {"task": "plum.api.tasks.idempotency_purge_task", "schedule": 3600.0},
    # Re-enqueues batches whose message was lost (Redis restarted, a worker killed): see points.services.batches.
    "sweep-points-batches": {"task": "points.tasks.points_batches_sweep_task", "schedule": 60.0},
    "expire-points-lots": {"task": "points.tasks.expire_lots_task", "schedule": 300.0},
    "reconcile-points-ledger": {"task": "points.tasks.reconcile_ledger_task", "schedule": 86400.0},
    "sweep-voucher-campaigns": {"task": "vouchers.tasks.campaigns_sweep_task", "schedule": 60.0},
    "expire-vouchers": {"task": "vouchers.tasks.expire_vouchers_task", "schedule": 300.0},
    "reconcile-voucher-stock": {"task": "vouchers.tasks.reconcile_stock_task", "schedule": 86400.0},
}
