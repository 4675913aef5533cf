"""JSON answers for paths Django itself rejects under ``/v3/`` (no route, server error).

Clients parse every API answer as JSON, so an unknown ``/v3/…`` path is
``{"error": "Not found"}`` rather than an HTML page; other paths keep Django's pages.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/v3/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": "Not found"}, status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt
def unknown_path(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Every path under ``/v3/`` that no route takes, whatever the method, in every mode.

    Routed (rather than left to ``handler404``) because with ``DEBUG`` on Django answers
    an unmatched path with its HTML debug page and never calls the handler. Exempt from
    CSRF like the API views: an unknown POST is a 404, not a 403 about a cookie.
    """
    return JsonResponse({"error": "Not found"}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": "Internal server error"}, status=500)
    return defaults.server_error(request)
