"""Per-request context: a request id that audit entries carry, so one form post's changes group together."""

import threading
import uuid

_state = threading.local()


def current_request_id() -> str:
    return getattr(_state, "request_id", "")


class RequestActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _state.request_id = request.headers.get("X-Request-ID", "")[:36] or str(uuid.uuid4())
        try:
            return self.get_response(request)
        finally:
            _state.request_id = ""


class ChineseFirstMiddleware:
    """Pages are Chinese unless the user chose English (the language switch sets a cookie).

    A browser's Accept-Language is ignored for pages, so a bureau PC with an English browser still gets
    Chinese; API clients may ask for English with Accept-Language. Runs before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
