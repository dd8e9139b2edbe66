"""The suite runs on the real engines: PostgreSQL always; Redis for cache and broker when REDIS_URL is set
(CI sets it, and tests/conftest.py refuses to run CI without it)."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from plum.celery import app as celery_app


def test_the_database_is_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000


def test_tasks_go_through_redis_when_configured_and_run_in_process_otherwise():
    if not settings.REDIS_URL:
        assert celery_app.conf.task_always_eager is True
        return
    import redis

    key = f"plum-infra-{uuid.uuid4()}"
    cache.set(key, "seen", 30)
    direct = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(key in k.decode() for k in direct.scan_iter(f"*{key}*"))
    assert celery_app.conf.broker_url == settings.REDIS_URL
    assert celery_app.conf.task_always_eager is False
