"""/scim/v2/: the SCIM 2.0 endpoints."""

urlpatterns: list = []
