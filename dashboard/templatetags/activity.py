"""Template filters for what happened: calls, texts, forms and visits as marketers read them
(``{% load activity %}``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.utils import dateformat, timezone

from accounts.phone import formatted
from telephony.models import Call
from tracking.source_names import source_display

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """``+14045551234`` → ``(404) 555-1234``."""
    return formatted(value) or ""


@register.filter
def source_label(code: str | None) -> str:
    """``google_paid`` → ``Google Ads``; a referring domain stays a domain."""
    return source_display(code) or ""


@register.filter
def duration(seconds: int | None) -> str:
    """``155`` → ``2:35``; ``3725`` → ``1:02:05``."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def url_path(url: str | None) -> str:
    """A page's path and query, without the site (``/emergency?utm_source=google``)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


@register.filter
def page_path(url: str | None) -> str:
    """A page's path alone (``/emergency``), for a column of landing pages."""
    if not url:
        return ""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return url


@register.filter
def url_host(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:
        return ""


@dataclass(frozen=True)
class Outcome:
    label: str
    tone: str  # a badge style: live, good, bad, info, muted
    icon: str  # a Bootstrap Icons name


_OUTCOMES = {
    "in_progress": Outcome("In progress", "live", "telephone-inbound"),
    "answered": Outcome("Answered", "good", "telephone-inbound"),
    "missed": Outcome("Missed", "bad", "telephone-x"),
    "abandonded": Outcome("Abandoned", "muted", "telephone-minus"),
    "voicemail": Outcome("Voicemail", "info", "voicemail"),
    "voicemail_transcription": Outcome("Voicemail", "info", "voicemail"),
    "outbound": Outcome("Outbound", "muted", "telephone-outbound"),
}


@register.filter
def outcome(call: Call) -> Outcome:
    """How the call went, as a badge: ringing and in progress while live."""
    if call.is_live and call.status != Call.Status.IN_PROGRESS and not call.answered:
        return Outcome("Ringing", "live", "telephone-inbound")
    return _OUTCOMES.get(call.call_type, Outcome(call.call_type.replace("_", " ").capitalize(), "muted", "telephone"))


@register.filter
def caller(item: Any) -> str:
    """The person's name when known, else their formatted number."""
    name = (getattr(item, "customer_name", "") or "").strip()
    return name or formatted(getattr(item, "customer_phone_number", "")) or "Unknown caller"


@register.filter
def when(moment: datetime | None) -> str:
    """A moment in the active time zone, as short as it can be read: ``2:05 PM`` today,
    ``Nov 3, 2:05 PM`` this year, ``Nov 3, 2024`` before."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    if local.date() == today:
        return dateformat.format(local, "g:i A")
    if local.year == today.year:
        return dateformat.format(local, "M j, g:i A")
    return dateformat.format(local, "M j, Y")


@register.filter
def field_label(name: str) -> str:
    """A form field's name as a label: ``first_name`` → ``First name``."""
    text = str(name).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else ""


@register.filter
def field_value(value: Any) -> str:
    """A captured form field: text as typed, the choices of a multiple choice joined."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)
