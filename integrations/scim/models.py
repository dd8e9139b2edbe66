"""SCIM identities of employees."""
