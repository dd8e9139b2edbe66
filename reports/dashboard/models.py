"""The dashboard's place in the admin: a proxy of the organisation (no table of its own), so the admin index
lists "Reports > Dashboards", its change list is the organisations, and `<uuid>/` is one's dashboard."""

from users.models import Organisation


class Dashboard(Organisation):
    class Meta:
        proxy = True
        app_label = "reports"
        verbose_name = "dashboard"
        verbose_name_plural = "dashboards"
