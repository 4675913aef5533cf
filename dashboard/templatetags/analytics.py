"""Template filters of the Overview and Reports pages: figures as they read on a page."""

from __future__ import annotations

from decimal import Decimal

from django import template

from dashboard.analytics import Change, Row, percent
from dashboard.analytics import money as money_text
from telephony.reports import duration_formatted

register = template.Library()


@register.filter
def rate(value: float | None) -> str:
    """``0.256`` → ``25.6%``; no calls → ``–``."""
    return percent(value)


@register.filter
def duration(seconds: int | None) -> str:
    return duration_formatted(seconds)


@register.filter
def money(value: Decimal | None) -> str:
    return money_text(value or Decimal(0))


@register.filter
def row_change(row: Row, metric: str) -> Change | None:
    """The change of a report row's ``metric`` (calls or missed) against the comparison period."""
    return row.change_of(metric)
