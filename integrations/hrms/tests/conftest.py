"""The fake vendors' fixtures (integrations.hrms.tests.fakes) for every test of this folder."""

import pytest
from celery import _state as celery_state

from integrations.hrms.tests.fakes import (  # noqa: F401 (fixtures)
    fake_darwinbox,
    fake_successfactors,
    fake_workday_raas,
    fake_workday_workers,
    quick_retries,
    vendor_server,
)


@pytest.fixture(autouse=True)
def _runs_in_process(request, settings):
    """A run started in a test executes in this process, with or without Redis (as batch tests call their
    service): only the tests that start real workers send the run to the broker."""
    if "workers" not in request.fixturenames:
        settings.CELERY_TASK_ALWAYS_EAGER = True  # Celery reads its Django settings at each call
    yield
    # Eager sends from parallel threads race on Celery's process-wide "join would block" flag (set and
    # restored around each eager call) and can leave it set, which breaks later tests' result.get().
    celery_state._set_task_join_will_block(False)
