from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from plum.core.text import storable_text
from plum.core.timefmt import as_utc

_BIGINT = 2**63


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
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        if isinstance(value, datetime):  # an offset PostgreSQL takes, a time Python can read back
            offset = value.utcoffset().total_seconds() if value.tzinfo else None
            return offset is not None and offset % 60 == 0 and abs(offset) < 16 * 3600 and as_utc(value) is not None
        if isinstance(value, int):
            return -_BIGINT <= value < _BIGINT
        return storable_text(value) if isinstance(value, str) else True

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: ["Invalid cursor."]})
