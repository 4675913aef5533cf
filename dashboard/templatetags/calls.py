"""Template filters for calls as marketers read them: numbers, durations, money, pages."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlsplit

from django import template

from accounts.phone import formatted

register = template.Library()


@register.filter
@lru_cache(maxsize=4096)
def phone(e164: str | None) -> str:
    """``+14045551234`` → ``(404) 555-1234`` (remembered: parsing a number is the costly part
    of a call log row, and the same numbers come back page after page)."""
    return formatted(e164) or ""


@register.filter
def duration(seconds: int | None) -> str:
    """``125`` → ``2m 05s``; ``42`` → ``42s``; none yet → ``—``."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def money(value: Decimal | None) -> str:
    return f"${value:,.2f}" if value is not None else ""


@register.filter
def page_path(url: str | None) -> str:
    """A page's address without the scheme and host (``/pricing?utm_source=…``), which is
    what tells pages of one site apart."""
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")


@register.filter
def host(url: str | None) -> str:
    if not url:
        return ""
    return urlsplit(url if "//" in url else f"//{url}").hostname or url
