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


# Sections of the navigation: the product's pages, then the account's own (people, keys,
# integrations, settings), shown apart at the end of the bar.
MAIN, ACCOUNT = "main", "account"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    editors_only: bool = False
    admins_only: bool = False
    section: str = MAIN


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
    NavItem("Users", "dashboard:users", "people", admins_only=True, section=ACCOUNT),
    NavItem("API keys", "dashboard:api-keys", "key", section=ACCOUNT),
    NavItem("Integrations", "dashboard:integrations", "plug", editors_only=True, section=ACCOUNT),
    NavItem("Notifications", "dashboard:notifications", "bell", section=ACCOUNT),
    NavItem("Account settings", "dashboard:account-settings", "sliders", admins_only=True, section=ACCOUNT),
    NavItem("Audit log", "dashboard:audit-log", "journal-text", admins_only=True, section=ACCOUNT),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    icon: str
    current: bool
    section: str = MAIN


def _allowed(scope: Scope, item: NavItem) -> bool:
    return (scope.can_edit or not item.editors_only) and (scope.user.is_admin or not item.admins_only)


def navigation_for(scope: Scope, current: str = "") -> list[NavLink]:
    """The entries ``scope``'s user may open; each link keeps the company and the period."""
    query = scope.state.shared_query
    return [
        NavLink(item.label, reverse(item.url_name) + query, item.icon, item.label == current, item.section)
        for item in NAVIGATION
        if _allowed(scope, item)
    ]


def shell_context(scope: Scope, current: str = "") -> dict[str, Any]:
    """The template context ``dashboard/base.html`` needs (function views add it themselves)."""
    links = navigation_for(scope, current)
    return {
        "scope": scope,
        "state": scope.state,
        "navigation": [link for link in links if link.section == MAIN],
        "account_navigation": [link for link in links if link.section == ACCOUNT],
        "date_range_choices": DATE_RANGE_CHOICES,
        "today": local_today(scope.window.tz),
        "oldest_day": retention_start(scope.window.tz).date(),
    }
