from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    """Cursor pages over each view's unique ordering (`pagination_ordering`), capped at 500 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("created_at", "id")

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "pagination_ordering", self.ordering))

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:  # DRF answers 404 for a garbled cursor; it is malformed input
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
