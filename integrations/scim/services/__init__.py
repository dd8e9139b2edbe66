"""Every write of the SCIM server: onto employees through the users services, and its own identities."""
