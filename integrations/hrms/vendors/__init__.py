"""The HRMS vendors a connection may pull from, by provider name (see base.py for the interface)."""

from integrations.hrms.vendors.base import EMPLOYEE_FIELDS, ConnectionSpec, FetchFailed, Page, Vendor
from integrations.hrms.vendors.darwinbox import Darwinbox
from integrations.hrms.vendors.successfactors import SuccessFactors
from integrations.hrms.vendors.workday import Workday

__all__ = ["EMPLOYEE_FIELDS", "PROVIDERS", "ConnectionSpec", "FetchFailed", "Page", "Vendor", "vendor_for"]

_VENDORS: dict[str, Vendor] = {vendor.provider: vendor for vendor in (Workday(), SuccessFactors(), Darwinbox())}
PROVIDERS = tuple(_VENDORS)


def vendor_for(provider: str) -> Vendor:
    """The vendor module of a provider; KeyError for a provider Plum does not know."""
    try:
        return _VENDORS[provider]
    except KeyError:
        raise KeyError(f"Unknown HRMS provider {provider!r}; one of {', '.join(PROVIDERS)}.") from None
