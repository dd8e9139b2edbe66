from django.urls import path

from reports.api.rest.views import ReportViewSet

# Exact paths (no trailing slash): a file name ends the URL, as API.md fixes them.
urlpatterns = [
    path(f"{name}.csv", ReportViewSet.as_view({"get": name}, detail=False), name=f"report-{name}")
    for name in ("points", "vouchers", "budget")
]
