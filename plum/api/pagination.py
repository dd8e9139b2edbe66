from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from rest_framework import pagination
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError

from plum.core.fields import storable_value

MAX_PAGE_SIZE = 500


def page_size_problem(raw: str) -> str | None:
    """Why `raw` is not a page size (a whole number from 1), or None: a typo must not fall back to a default."""
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        return "A whole number from 1; larger values are capped at 500."
    return None


class CursorPagination(pagination.CursorPagination):
    """Cursor pages over each view's unique ordering (`pagination_ordering`), capped at 500 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page: a whole number from 1; larger values are capped at 500."
    max_page_size = MAX_PAGE_SIZE
    ordering = ("created_at", "id")

    @property
    def query_parameters(self) -> tuple[str, str]:
        return self.cursor_query_param, self.page_size_query_param

    def query_errors(self, request) -> dict[str, list[ErrorDetail]]:
        """The page parameters that do not parse, checked before the view does anything."""
        raw = request.query_params.get(self.page_size_query_param)
        message = None if raw is None else page_size_problem(raw)
        return {self.page_size_query_param: [ErrorDetail(message, code="invalid")]} if message else {}

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if errors := self.query_errors(request):
            raise ValidationError(errors)
        digits = raw.lstrip("0")
        return self.max_page_size if len(digits) > 6 else min(int(digits), self.max_page_size)

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "pagination_ordering", self.ordering))

    def paginate_queryset(self, queryset, request, view=None):
        answers_a_page = getattr(view, "answers_a_page", None)
        if answers_a_page is not None and not answers_a_page():
            # its page parameters would be refused as unknown before the view ran
            raise ImproperlyConfigured(
                f"{type(view).__name__}.{view.action} answers a page: declare it with @action(..., paginated=True)."
            )
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
