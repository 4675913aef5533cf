"""Template helpers for the dashboard's URL state and its period labels."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from callrail.dates import DateWindow
from dashboard.state import DashboardState

register = template.Library()


@register.simple_tag
def state_query(state: DashboardState, **changes: str | None) -> str:
    """``{% state_query state sort="-duration" %}``: the current query string with one thing
    changed (``None`` removes a parameter); the page goes back to the first."""
    return state.query(**changes)


@register.simple_tag
def state_hidden(state: DashboardState, *exclude: str) -> SafeString:
    """``{% state_hidden state "company" %}``: hidden inputs that make a GET form keep the
    rest of the state (everything but the names given, and the page)."""
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', state.hidden_fields(*exclude))


def _day(day: date, with_year: bool) -> str:
    text = f"{day:%b} {day.day}"
    return f"{text}, {day.year}" if with_year else text


@register.filter
def period(window: DateWindow | None) -> str:
    """A window of days in words: ``Mar 4, 2024`` or ``Mar 1 – Mar 30, 2024``."""
    if window is None:
        return ""
    first, last = window.first_day, window.last_day
    if first == last:
        return _day(first, True)
    if first.year == last.year:
        return f"{_day(first, False)} – {_day(last, True)}"
    return f"{_day(first, True)} – {_day(last, True)}"
