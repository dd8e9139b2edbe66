"""Every request's id: the caller's X-Request-ID when it is a sane token, else a new one. It is echoed in the
response, added to log records (plum.core.audit.RequestIdLogFilter) and written on audit entries, with the
caller's address."""

from plum.core.audit.context import request_context, request_id_from

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        with request_context(request_id=request_id, ip=request.META.get("REMOTE_ADDR") or None):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
