"""Every request's id: the caller's X-Request-ID when it is a sane token, else a new one. It is echoed in the
response, added to log records (plum.core.audit.RequestIdLogFilter) and written on audit entries, with the
caller's address. It also runs the rest of the request from a roomy frame-stack chunk (plum.core.stack_room):
a serializer or GraphQL walk over a page of rows must not map a chunk per field."""

from plum.core.audit.context import request_context, request_id_from
from plum.core.stack_room import with_stack_room

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        with request_context(request_id=request_id, ip=request.META.get("REMOTE_ADDR") or None):
            response = with_stack_room(lambda: self.get_response(request))
        response[REQUEST_ID_HEADER] = request_id
        return response
