"""How django-axes identifies a sign-in attempt: by the email address and the client's IP."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def signin_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email address tried, lower-cased (sign-in is case-insensitive, so is the lockout).

    The admin's form posts it as ``username``; a view calling
    ``authenticate(request, email=..., password=...)`` passes it as ``email``.
    """
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("username", "email"):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()[:255]
    return None


def signin_ip(request: HttpRequest) -> str | None:
    """The client's address: behind a proxy that sets X-Forwarded-For
    (``DNI_TRUST_X_FORWARDED_FOR``) the address the proxy saw, else the connection's.
    Behind a proxy every client would otherwise share its address, and one attacker would
    lock everyone out. The last hop is the proxy's own entry: earlier ones are whatever the
    client sent, and changing them must not escape the per-address count."""
    if getattr(settings, "DNI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None
