"""Trackers in a marketer's words: their kind and which visitors they serve."""

from __future__ import annotations

from typing import Any

from tracking.models import Tracker

ENGINES = {"google": "Google", "bing": "Bing", "yahoo": "Yahoo"}
SOURCE_TYPES = {
    "all": "All visitors",
    "offline": "Offline (print, billboard, radio)",
    "direct": "Visitors who typed your address",
    "google_ad_extension": "Google Ads call extension",
    "mobile_ad_extension": "Mobile ad extension",
    "google_my_business": "Google Business Profile",
}


def tracker_kind(tracker: Tracker) -> str:
    return "Website pool" if tracker.type == Tracker.Type.SESSION else "Source"


def _search(engine: str, search_type: str) -> str:
    name = "Search engines" if engine == "all" else ENGINES.get(engine, engine.title())
    if search_type == "paid":
        return "Google Ads" if engine == "google" else f"{name} ads"
    if search_type == "organic":
        return f"{name} organic search"
    return f"{name} (ads and organic)"


def _source_rule(source: dict[str, Any]) -> str:
    kind = source.get("type", "all")
    if kind == "search":
        return _search(source.get("search_engine", "all"), source.get("search_type", "all"))
    if kind == "landing_url":
        return f"Landing page URL contains “{source.get('landing', '')}”"
    if kind == "landing_params":
        return f"Landing page with “{source.get('landing', '')}”"
    if kind == "web_referrer":
        return f"Visitors from {source.get('referrer', '')}"
    return SOURCE_TYPES.get(kind, kind.replace("_", " ").capitalize())


def _session_rule(source: dict[str, Any]) -> str:
    if source.get("type") == "all" and len(source) == 1:
        return "All visitors"
    parts = []
    for engine, label in ENGINES.items():
        kinds = source.get(engine) or []
        if kinds:
            parts.append(f"{label} {' and '.join('ads' if k == 'paid' else 'organic' for k in kinds)}")
    if source.get("type") == "direct":
        parts.append("direct visitors")
    parts += [f"landing page contains “{text}”" for text in source.get("landing", [])]
    parts += [f"visitors from {text}" for text in source.get("referrer", [])]
    rule = ", ".join(parts) or "All visitors"
    rule = rule[0].upper() + rule[1:]
    return f"Everyone but: {rule[0].lower() + rule[1:]}" if source.get("inverted") else rule


def source_rule(tracker: Tracker) -> str:
    """``Google Ads``, ``All visitors``, ``Landing page URL contains “spring”``..."""
    source = tracker.source if isinstance(tracker.source, dict) else {"type": str(tracker.source)}
    return _session_rule(source) if tracker.type == Tracker.Type.SESSION else _source_rule(source)
