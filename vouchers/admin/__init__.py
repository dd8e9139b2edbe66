"""The operations staff door of the vouchers app."""
