"""Template helpers of the set-up pages: phone numbers and trackers in people's words."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.phone import formatted
from dashboard.setup.words import source_rule, tracker_kind
from tracking.forms_capture import source_name
from tracking.models import Tracker

register = template.Library()


@register.filter
def phone(number: str | None) -> str:
    """``+14045551234`` → ``(404) 555-1234`` (other countries in international form)."""
    return formatted(number) or ""


@register.filter
def rule(tracker: Tracker) -> str:
    return source_rule(tracker)


@register.filter
def kind(tracker: Tracker) -> str:
    return tracker_kind(tracker)


@register.filter
def ago(moment: datetime | None) -> str:
    """``3 minutes ago``; ``just now`` within the minute."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def source(code: str | None) -> str:
    """A visit's classified source as people read it: ``google_paid`` → ``Google Paid``."""
    return source_name(code or "")
