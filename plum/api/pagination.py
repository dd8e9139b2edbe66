from django.core.exceptions import FieldDoesNotExist
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from plum.core.fields import storable_value


class CursorPagination(pagination.CursorPagination):
    """Cursor pages over each view's unique ordering (`pagination_ordering`), capped at 500 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("created_at", "id")

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "pagination_ordering", self.ordering))

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model  # what decode_cursor checks a position against
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:  # DRF answers 404 for a garbled cursor; it is malformed input
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None and not self._position_ok(cursor.position):
            raise self._invalid()
        return cursor

    def _position_ok(self, position: str) -> bool:
        """A cursor is base64 the client could forge: its position must be a value of the ordering's first
        field that the database takes, or the page query fails (a 500) instead of answering 400."""
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return True
        return storable_value(field, position)

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: ["Invalid cursor."]})
