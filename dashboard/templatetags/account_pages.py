"""Template helpers of the account's pages: moments and audit values read as words."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def field_name(name: str) -> str:
    """``is_active`` → "Is active"."""
    return name.replace("_", " ").capitalize()


@register.filter
def audit_value(value: Any) -> str:
    """A before or after value of the audit log: lists joined, booleans as yes/no, nothing as "—"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(audit_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {audit_value(item)}" for key, item in value.items())
    return str(value)


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago", "2 days ago"."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"
