"""The names marketers read for classified source codes (``tracking.classification`` stores
the codes on sessions, calls and forms): the v3 API's ``source`` and milestones, the call
log's source column and its search, all say "Google Ads" for ``google_paid``."""

from __future__ import annotations

# As the reference's examples print them.
SOURCE_NAMES = {
    "google_paid": "Google Ads",
    "google_organic": "Google Organic",
    "google_local": "Google Local",
    "google_my_business": "Google My Business",
    "google_ad_extension": "Google Ads Call Extension",
    "mobile_ad_extension": "Mobile Ad Extension",
    "bing_paid": "Bing Ads",
    "bing_organic": "Bing Organic",
    "yahoo_paid": "Yahoo Ads",
    "yahoo_organic": "Yahoo Organic",
    "facebook_paid": "Facebook Ads",
    "direct": "Direct",
    "offline": "Offline",
    "referral": "Referral",
}


def source_display(code: str | None) -> str | None:
    """``google_paid`` → ``Google Ads``; a referring domain stays a domain."""
    return SOURCE_NAMES.get(code or "") or source_formatted(code)


def source_formatted(code: str | None) -> str | None:
    """``formatted_tracking_source``: ``google_paid`` → ``Google Paid`` (the webhook sample's form)."""
    if not code:
        return None
    if "." in code:
        return code
    return code.replace("_", " ").title()


def source_codes_named(term: str) -> list[str]:
    """The source codes whose name contains ``term`` (case-insensitive), for searches."""
    needle = term.strip().lower()
    return [code for code, name in SOURCE_NAMES.items() if needle and needle in name.lower()]
