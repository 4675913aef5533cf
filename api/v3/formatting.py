"""How the v3 API displays values: source names, durations, money, names, referrer
domains, GA cookies and lead timelines (the ``formatted_*`` and related fields)."""

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from accounts.models import Account
from telephony.links import absolute_url
from tracking import classification
from tracking.models import Person

# The marketing names of classified sources live with the classification (the dashboard
# shows them too); the API's ``source`` fields and milestones print them.
SOURCE_NAMES = classification.SOURCE_NAMES
source_display = classification.source_display
source_formatted = classification.source_formatted


def duration_formatted(seconds: int | float | None) -> str:
    """``179`` → ``2m 59s``; ``45`` → ``45s``; ``None``/``0`` → ``0s``."""
    total = int(round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def value_formatted(value: Decimal | None) -> str:
    return f"${value:,.2f}" if value is not None else "--"


def referrer_domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host or None


def name_formatted(name: str | None) -> str | None:
    """Caller-ID names arrive shouted (``MANN KEVIN``); display them title-cased."""
    if not name:
        return None
    return name.title() if name.isupper() else name


def cookie_value(cookies: dict[str, Any] | None, name: str) -> str | None:
    """GA cookies as swap.js sends them (``__utma``, ``_ga``...), under any common spelling."""
    if not cookies:
        return None
    for key in (f"__{name}", f"_{name}", name):
        if cookies.get(key):
            return str(cookies[key])
    return None


def timeline_url(account: Account, person: Person | None) -> str | None:
    """Where a lead's touchpoints are listed: their calls, newest first, through the API."""
    if person is None:
        return None
    return absolute_url(f"/v3/a/{account.numeric_id}/calls.json?person_id={person.public_id}&date_range=all_time")
