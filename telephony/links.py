"""Absolute URLs of this server (``PUBLIC_BASE_URL`` + path): those handed to the
carrier, and links handed to people and API clients.

Twilio signs the exact URL it requests, query string included, so every URL handed
to it is built here, the same way every time.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=256)
def _path(name: str, urlconf: str | None, prefix: str) -> str:
    # Every answer to a call builds several of these; resolving a name is the costly part.
    return reverse(name, urlconf=urlconf)


def absolute_url(path: str) -> str:
    """A path of this server as a link for people and API clients (recordings, API pages)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def public_url(name: str, query: dict[str, object] | None = None, **kwargs: object) -> str:
    if kwargs:
        path = reverse(name, kwargs=kwargs)
    else:
        path = _path(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    url = settings.PUBLIC_BASE_URL + path
    if query:
        url += "?" + urlencode({key: value for key, value in query.items() if value is not None})
    return url
