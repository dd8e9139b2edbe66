from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pages over each view's unique ordering (`pagination_ordering`), capped at 500 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("created_at", "id")

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "pagination_ordering", self.ordering))
