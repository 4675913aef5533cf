"""Where a visitor came from, and which tracker's numbers they should see.

``classify()`` turns a visit's first touch (landing URL, the referrer of that
landing page, UTM fields, click ids) into a source and medium, as CallRail
reports them. ``choose_trackers()`` then picks, for every swap target, the
tracker whose rules match best.

Precedence (CallRail's "swap precedence", most specific first; see
``Tier``). A lower tier wins; inside a tier a source tracker beats a session
tracker (a dedicated number beats a pool), then the older tracker wins:

1. LANDING   landing rules: source ``landing_url`` / ``landing_params``, and
             session trackers whose ``landing`` substrings match.
2. REFERRER  one specific origin: source ``web_referrer``, ``direct`` and
             ``search`` for one engine and one type (e.g. Google paid); session
             trackers matching by ``referrer`` substring, ``direct`` or an engine.
3. GROUP     a group of origins: source ``search`` with engine or type ``all``.
4. POOL      session trackers serving everyone (``all``) or everyone except
             their rules (``inverted``).
5. CATCHALL  source ``all``: any other matching tracker wins over it.

Source types ``offline``, ``google_ad_extension``, ``mobile_ad_extension`` and
``google_my_business`` are never served on the web: their numbers are printed
or given to Google, and a web visitor must not see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property, lru_cache
from typing import Any, NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlsplit

ENGINES = ("google", "bing", "yahoo")
PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "sem", "adwords", "cpv"})
ORGANIC_MEDIUMS = frozenset({"organic", "seo", ""})
NEVER_ON_WEB = frozenset({"offline", "google_ad_extension", "mobile_ad_extension", "google_my_business"})

# Search engines recognised from the referrer's host name.
_ENGINE_HOSTS = (
    ("google", re.compile(r"(^|\.)(google\.[a-z.]{2,10}|googleadservices\.com|doubleclick\.net)$")),
    ("bing", re.compile(r"(^|\.)bing\.com$")),
    ("yahoo", re.compile(r"(^|\.)yahoo\.(com|co\.[a-z]{2}|[a-z]{2})$")),
)
_PAID_HOSTS = re.compile(r"(^|\.)(googleadservices\.com|doubleclick\.net)$")
# utm_source spellings of the engines (CallRail matches utm_source by substring).
_ENGINE_UTM = (("google", ("google", "adwords", "gads")), ("bing", ("bing", "microsoft", "msn")), ("yahoo", ("yahoo",)))


class Tier(IntEnum):
    LANDING = 1
    REFERRER = 2
    GROUP = 3
    POOL = 4
    CATCHALL = 5


@dataclass(frozen=True)
class Visit:
    """A visit's first touch, as swap.js saw it on arrival."""

    landing_url: str = ""
    referrer_url: str = ""

    @cached_property  # read by classify() and by every landing_params tracker: parsed once
    def params(self) -> dict[str, str]:
        try:
            query = urlsplit(self.landing_url).query
        except ValueError:
            return {}
        return {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}


@dataclass(frozen=True)
class Touch:
    """The classified origin of a visit."""

    source: str  # google_paid, bing_organic, direct, facebook.com, newsletter...
    medium: str  # cpc, organic, direct, referral, or utm_medium
    engine: str = ""  # google | bing | yahoo when the visit came from a search engine
    search_type: str = ""  # paid | organic (search visits only)
    referrer_domain: str = ""
    utm: dict[str, str] = field(default_factory=dict)
    click_ids: dict[str, str] = field(default_factory=dict)

    @property
    def is_direct(self) -> bool:
        return self.source == "direct"

    @property
    def keywords(self) -> str:
        return self.utm.get("utm_term", "")

    @property
    def campaign(self) -> str:
        return self.utm.get("utm_campaign", "")


def _bare_host(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def host_of(url: str) -> str:
    try:
        return _bare_host(urlsplit(url))
    except ValueError:
        return ""


@lru_cache(maxsize=1024)  # URLs of up to 4,000 characters: at most a few MB per process
def classify_cached(visit: Visit) -> Touch:
    """``classify`` for the DNI hot path: a session reports the same first touch on every
    page view, and many visits share one (the same ad, the same landing page). The
    Touch returned is shared: read it, never change its dicts."""
    return classify(visit)


_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_CLICK_ID_KEYS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid")


def classify(visit: Visit) -> Touch:
    """Source and medium of a visit, from its landing URL and referrer.

    Order: click ids (an ad click, even when the browser hid the referrer), then
    UTM tags naming an engine, then a search engine referrer, then other UTM
    tags, then any other site (a referral), else direct. A referrer on the same
    site as the landing page counts as direct: the visit began on this site.
    """
    params = visit.params
    utm = {k: params[k][:255] for k in _UTM_KEYS if params.get(k)}
    click_ids = {k: params[k][:255] for k in _CLICK_ID_KEYS if params.get(k)}
    referrer = host_of(visit.referrer_url)
    if referrer and referrer == host_of(visit.landing_url):
        referrer = ""
    utm_source = utm.get("utm_source", "").lower()
    utm_medium = utm.get("utm_medium", "").lower()
    origin = _engine_origin(click_ids, utm_source, utm_medium, referrer) or _other_origin(
        click_ids, utm_source, utm_medium, referrer
    )
    return Touch(*origin, referrer_domain=referrer, utm=utm, click_ids=click_ids)


class _Origin(NamedTuple):
    """The first four fields of a Touch."""

    source: str
    medium: str
    engine: str = ""
    search_type: str = ""


def _search(engine: str, paid: bool) -> _Origin:
    kind = "paid" if paid else "organic"
    return _Origin(f"{engine}_{kind}", "cpc" if paid else "organic", engine, kind)


def _engine_origin(click_ids: dict[str, str], utm_source: str, utm_medium: str, referrer: str) -> _Origin | None:
    """The origin told by an ad click id, or by UTM tags or a referrer naming a search engine."""
    if click_ids.keys() & {"gclid", "gbraid", "wbraid"}:
        return _search("google", True)
    if "msclkid" in click_ids:
        return _search("bing", True)
    for engine, spellings in _ENGINE_UTM:
        if any(s in utm_source for s in spellings):
            if utm_medium in PAID_MEDIUMS:
                return _search(engine, True)
            if utm_medium in ORGANIC_MEDIUMS:
                return _search(engine, False)
            return _Origin(utm_source, utm_medium)
    for engine, pattern in _ENGINE_HOSTS:
        if referrer and pattern.search(referrer):
            return _search(engine, bool(_PAID_HOSTS.search(referrer)) or utm_medium in PAID_MEDIUMS)
    return None


def _other_origin(click_ids: dict[str, str], utm_source: str, utm_medium: str, referrer: str) -> _Origin:
    """Any other origin: UTM tags, a Facebook click, a referring site, else direct."""
    if utm_source:
        return _Origin(utm_source, utm_medium or "referral")
    if "fbclid" in click_ids and not referrer:
        return _Origin("facebook.com", "social")
    if referrer:
        return _Origin(referrer, "referral")
    return _Origin("direct", "direct")


def _contains_any(text: str, needles: Iterable[Any]) -> bool:
    text = text.lower()
    return any(str(n).strip().lower() in text for n in needles if str(n).strip())


def _landing_part(url: str) -> str:
    """The part of a landing URL that ``landing`` substrings look at: path, file and query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return parts.path + ("?" + parts.query if parts.query else "")


def _norm_url(url: str) -> tuple[str, str, dict[str, str]]:
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return "", "", {}
    return _bare_host(parts), parts.path.rstrip("/").lower(), dict(parse_qsl(parts.query, keep_blank_values=True))


def _as_list(value: Any) -> list[Any]:
    """A rule criterion given as one string or a list of them, as a list."""
    if not value:
        return []
    return [value] if isinstance(value, str) else value


def _params_match(wanted: dict[str, str], have: dict[str, str]) -> bool:
    have = {k.lower(): v for k, v in have.items()}
    return all(k.lower() in have and (v == "" or have[k.lower()] == v) for k, v in wanted.items())


def session_rule_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    """The tier at which a session tracker's ``source`` rules serve this visit (None: not at all).

    Its criteria are alternatives: any one of them matching is enough.
    ``inverted`` serves the pool to visitors matching none of them.
    """
    if not isinstance(rule, dict) or rule.get("type") == "all" or not rule:
        return Tier.POOL
    matched: Tier | None = None
    landing = _as_list(rule.get("landing"))
    if landing and _contains_any(_landing_part(visit.landing_url), landing):
        matched = Tier.LANDING
    referrers = _as_list(rule.get("referrer"))
    if matched is None and referrers and visit.referrer_url and _contains_any(visit.referrer_url, referrers):
        matched = Tier.REFERRER
    if matched is None and rule.get("type") == "direct" and touch.is_direct:
        matched = Tier.REFERRER
    if matched is None and touch.engine and touch.search_type in _as_list(rule.get(touch.engine)):
        matched = Tier.REFERRER
    if rule.get("inverted"):
        return Tier.POOL if matched is None else None
    return matched


def source_rule_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    """The tier at which a source tracker's ``source`` serves this visit (None: not at all)."""
    if not isinstance(rule, dict):
        return None
    kind = rule.get("type")
    if kind in NEVER_ON_WEB or not isinstance(kind, str):
        return None
    tier_of = _SOURCE_KINDS.get(kind)
    return tier_of(rule, touch, visit) if tier_of else None


def _landing_url_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    host, path, params = _norm_url(str(rule.get("landing") or ""))
    if not host and not path:
        return None
    v_host, v_path, v_params = _norm_url(visit.landing_url)
    if (host and host != v_host) or path != v_path:
        return None
    return Tier.LANDING if _params_match(params, v_params) else None


def _landing_params_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    wanted = dict(parse_qsl(str(rule.get("landing") or "").lstrip("?"), keep_blank_values=True))
    if not wanted:
        return None
    return Tier.LANDING if _params_match(wanted, visit.params) else None


def _web_referrer_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    wanted = str(rule.get("referrer") or "").strip().lower()
    if not wanted or not visit.referrer_url:
        return None
    wanted_host = host_of(wanted if "//" in wanted else "//" + wanted)
    host = host_of(visit.referrer_url)
    if (
        host == wanted_host
        or host.endswith("." + wanted_host)
        or ("/" in wanted and wanted in visit.referrer_url.lower())
    ):
        return Tier.REFERRER
    return None


def _search_tier(rule: dict[str, Any], touch: Touch, visit: Visit) -> Tier | None:
    if not touch.engine:
        return None
    engine = str(rule.get("search_engine") or "all")
    search_type = str(rule.get("search_type") or "all")
    if engine not in ("all", touch.engine) or search_type not in ("all", touch.search_type):
        return None
    return Tier.REFERRER if engine != "all" and search_type != "all" else Tier.GROUP


# A source tracker's rule type -> the tier at which it serves a visit.
_SOURCE_KINDS: dict[str, Callable[[dict[str, Any], Touch, Visit], Tier | None]] = {
    "all": lambda rule, touch, visit: Tier.CATCHALL,
    "landing_url": _landing_url_tier,
    "landing_params": _landing_params_tier,
    "web_referrer": _web_referrer_tier,
    "direct": lambda rule, touch, visit: Tier.REFERRER if touch.is_direct else None,
    "search": _search_tier,
}


@dataclass(frozen=True)
class Match:
    tracker: Any
    tier: Tier

    @property
    def reason(self) -> str:
        rule = self.tracker.source if isinstance(self.tracker.source, dict) else {}
        described = ", ".join(f"{k} {v}" for k, v in rule.items()) or "all"
        return f"{_TIER_NAMES[self.tier]} (source: {described})"


_TIER_NAMES = {
    Tier.LANDING: "a landing page rule",
    Tier.REFERRER: "a specific origin",
    Tier.GROUP: "a group of origins",
    Tier.POOL: "a pool for all other visitors",
    Tier.CATCHALL: "the catch-all",
}


def rank(tracker: Any, touch: Touch, visit: Visit) -> Match | None:
    if tracker.type == "session":
        tier = session_rule_tier(tracker.source, touch, visit)
    else:
        tier = source_rule_tier(tracker.source, touch, visit)
    return None if tier is None else Match(tracker, tier)


def _sort_key(match: Match) -> tuple[int, int, int]:
    return (int(match.tier), 0 if match.tracker.type == "source" else 1, match.tracker.created_order)


def choose_trackers(trackers: Iterable[Any], touch: Touch, visit: Visit) -> dict[str, Match]:
    """For every swap target, the best matching tracker that swaps it."""
    best: dict[str, Match] = {}
    for tracker in trackers:
        match = rank(tracker, touch, visit)
        if match is None:
            continue
        for target in tracker.targets:
            current = best.get(target)
            if current is None or _sort_key(match) < _sort_key(current):
                best[target] = match
    return best


# Classified source codes (stored on sessions, calls and forms) and the marketing names the
# API's ``source`` fields and the dashboard show ("Google Ads", as the reference's examples
# print them).
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
