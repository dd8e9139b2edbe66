"""The operations staff door of the vouchers app: catalogue and stock, vouchers and their audit, campaigns.

Writes go through vouchers.services with a staff Actor of the object's organisation. Codes are shown
masked everywhere; the one exception is the "Reveal code" action, which the service records."""

from vouchers.admin import campaigns, catalogue, stock, vouchers  # noqa: F401 - importing registers the model admins
