"""The frame around every dashboard page: its navigation and the context its base template
(``templates/dashboard/base.html``) reads. A new top-level page adds its entry to ``NAVIGATION``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from callrail.dates import local_today, retention_start
from dashboard.state import DATE_RANGE_CHOICES

if TYPE_CHECKING:
    from dashboard.access import Scope


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    editors_only: bool = False


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Overview", "dashboard:overview", "grid-1x2"),
    NavItem("Live", "dashboard:live", "broadcast"),
    NavItem("Calls", "dashboard:calls", "telephone"),
    NavItem("Forms", "dashboard:forms", "ui-checks"),
    NavItem("Texts", "dashboard:texts", "chat-left-text"),
    NavItem("Reports", "dashboard:reports", "bar-chart-line"),
    NavItem("Numbers", "dashboard:numbers", "hash"),
    NavItem("Call flows", "dashboard:call-flows", "diagram-3", editors_only=True),
    NavItem("Install", "dashboard:install", "code-slash", editors_only=True),
    NavItem("Settings", "dashboard:settings", "gear", editors_only=True),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    icon: str
    current: bool


def navigation_for(scope: Scope, current: str = "") -> list[NavLink]:
    """The entries ``scope``'s user may open; each link keeps the company and the period."""
    query = scope.state.shared_query
    return [
        NavLink(item.label, reverse(item.url_name) + query, item.icon, item.label == current)
        for item in NAVIGATION
        if scope.can_edit or not item.editors_only
    ]


def shell_context(scope: Scope, current: str = "") -> dict[str, Any]:
    """The template context ``dashboard/base.html`` needs (function views add it themselves)."""
    return {
        "scope": scope,
        "state": scope.state,
        "navigation": navigation_for(scope, current),
        "date_range_choices": DATE_RANGE_CHOICES,
        "today": local_today(scope.window.tz),
        "oldest_day": retention_start(scope.window.tz).date(),
    }
