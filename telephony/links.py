"""Absolute URLs of this server as the carrier sees them (``PUBLIC_BASE_URL`` + path).

Twilio signs the exact URL it requests, query string included, so every URL handed
to it is built here, the same way every time.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def public_url(name: str, query: dict[str, object] | None = None, **kwargs: object) -> str:
    url = settings.PUBLIC_BASE_URL + reverse(name, kwargs=kwargs or None)
    if query:
        url += "?" + urlencode({key: value for key, value in query.items() if value is not None})
    return url
