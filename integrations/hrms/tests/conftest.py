"""The fake vendors' fixtures (integrations.hrms.tests.fakes) for every test of this folder."""

from integrations.hrms.tests.fakes import (  # noqa: F401 (fixtures)
    fake_darwinbox,
    fake_successfactors,
    fake_workday_raas,
    fake_workday_workers,
    quick_retries,
    vendor_server,
)
