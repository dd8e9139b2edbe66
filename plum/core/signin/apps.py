from django.contrib.admin.apps import AdminConfig


class PlumAdminConfig(AdminConfig):
    """Django's admin with Plum's site: the same admin, whose sign-in asks for a second factor when
    PLUM_ADMIN_MFA=1."""

    default_site = "plum.core.signin.site.PlumAdminSite"
