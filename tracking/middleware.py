"""The DNI endpoints' short way through the middleware stack."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from tracking import dni_routes


class DniFastPath:
    """Serve the DNI endpoints (``tracking.dni_routes``) from here, skipping the rest of the stack.

    They are answered on every page view of every customer's site, and they are
    public, cookieless JSON endpoints: the session, CSRF, authentication, messages
    and frame-options middleware below this one do nothing for them but cost
    about as much as the rest of a returning visit, and so does resolving their
    path against the whole URLconf. Placed after ``CorsMiddleware`` (which answers
    preflights and adds the CORS headers) and the security middleware, so those
    still apply. The Host header is validated as ``CommonMiddleware`` would.
    Every other path goes down the stack unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith("/dni/"):
            try:
                match = resolve(request.path_info, dni_routes.__name__)
            except Resolver404:
                pass
            else:
                request.get_host()  # DisallowedHost (400) for a Host not in ALLOWED_HOSTS
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
