from django.urls import path

from reports.api.rest.views import ReportViewSet

# Exact paths (no trailing slash): a file name ends the URL, as API.md fixes them. The basename is the one a
# router would give (reverse names, tests walking the routes).
urlpatterns = [
    path(f"{name}.csv", ReportViewSet.as_view({"get": name}, detail=False, basename="report"), name=f"report-{name}")
    for name in ("points", "vouchers", "budget")
]
