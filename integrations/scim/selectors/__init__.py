"""Reads of the SCIM server, scoped to the caller's organisation."""
