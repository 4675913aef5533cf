"""Source classification and tracker matching, table by table."""

from dataclasses import dataclass, field

import pytest

from tracking.classification import Tier, Visit, choose_trackers, classify, session_rule_tier, source_rule_tier

SITE = "https://www.alice-plumbing.example"


@pytest.mark.parametrize(
    ("landing", "referrer", "source", "medium", "engine", "kind"),
    [
        (f"{SITE}/", "", "direct", "direct", "", ""),
        (f"{SITE}/", f"{SITE}/about", "direct", "direct", "", ""),  # internal referrer
        (f"{SITE}/", "https://www.google.com/", "google_organic", "organic", "google", "organic"),
        (f"{SITE}/", "https://www.google.co.uk/", "google_organic", "organic", "google", "organic"),
        (f"{SITE}/?gclid=abc", "https://www.google.com/", "google_paid", "cpc", "google", "paid"),
        (f"{SITE}/?gclid=abc", "", "google_paid", "cpc", "google", "paid"),  # referrer hidden
        (f"{SITE}/?gbraid=abc", "", "google_paid", "cpc", "google", "paid"),
        (f"{SITE}/", "https://www.googleadservices.com/pagead/aclk", "google_paid", "cpc", "google", "paid"),
        (f"{SITE}/?utm_source=google&utm_medium=cpc", "", "google_paid", "cpc", "google", "paid"),
        (f"{SITE}/?utm_source=google&utm_medium=organic", "", "google_organic", "organic", "google", "organic"),
        (f"{SITE}/?msclkid=x", "https://www.bing.com/", "bing_paid", "cpc", "bing", "paid"),
        (f"{SITE}/", "https://www.bing.com/search?q=plumber", "bing_organic", "organic", "bing", "organic"),
        (f"{SITE}/?utm_source=bing&utm_medium=ppc", "", "bing_paid", "cpc", "bing", "paid"),
        (f"{SITE}/", "https://search.yahoo.com/search?p=plumber", "yahoo_organic", "organic", "yahoo", "organic"),
        (f"{SITE}/?utm_source=yahoo&utm_medium=cpc", "", "yahoo_paid", "cpc", "yahoo", "paid"),
        (f"{SITE}/", "https://m.facebook.com/", "m.facebook.com", "referral", "", ""),
        (f"{SITE}/?fbclid=x", "", "facebook.com", "social", "", ""),
        (f"{SITE}/", "https://www.yelp.com/biz/alice", "yelp.com", "referral", "", ""),
        (f"{SITE}/?utm_source=newsletter&utm_medium=email", "", "newsletter", "email", "", ""),
        (f"{SITE}/?utm_source=google&utm_medium=display", "", "google", "display", "", ""),
    ],
)
def test_classify(landing, referrer, source, medium, engine, kind):
    touch = classify(Visit(landing, referrer))
    assert (touch.source, touch.medium, touch.engine, touch.search_type) == (source, medium, engine, kind)


def test_classify_keeps_utm_fields_and_click_ids():
    touch = classify(Visit(f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=plumber&gclid=G"))
    assert touch.campaign == "spring"
    assert touch.keywords == "plumber"
    assert touch.click_ids == {"gclid": "G"}


GOOGLE_PAID = Visit(f"{SITE}/?gclid=1", "https://www.google.com/")
GOOGLE_ORGANIC = Visit(f"{SITE}/", "https://www.google.com/")
BING_ORGANIC = Visit(f"{SITE}/", "https://www.bing.com/")
DIRECT = Visit(f"{SITE}/")
FACEBOOK = Visit(f"{SITE}/", "https://m.facebook.com/story")
PROMO = Visit(f"{SITE}/promo1?coupon=spring&ref=print", "")


@pytest.mark.parametrize(
    ("rule", "visit", "tier"),
    [
        ({"type": "all"}, DIRECT, Tier.POOL),
        ({"google": ["paid"]}, GOOGLE_PAID, Tier.REFERRER),
        ({"google": ["paid"]}, GOOGLE_ORGANIC, None),
        ({"google": ["paid", "organic"]}, GOOGLE_ORGANIC, Tier.REFERRER),
        ({"bing": ["organic"], "yahoo": ["paid"]}, BING_ORGANIC, Tier.REFERRER),
        ({"bing": ["organic"]}, GOOGLE_ORGANIC, None),
        ({"type": "direct"}, DIRECT, Tier.REFERRER),
        ({"type": "direct"}, FACEBOOK, None),
        ({"referrer": ["facebook"]}, FACEBOOK, Tier.REFERRER),
        ({"referrer": ["facebook"]}, DIRECT, None),
        ({"landing": ["promo1"]}, PROMO, Tier.LANDING),
        ({"landing": ["coupon"]}, PROMO, Tier.LANDING),  # a parameter name
        ({"landing": ["print"]}, PROMO, Tier.LANDING),  # a parameter value
        ({"landing": ["alice-plumbing"]}, PROMO, None),  # the host is not part of it
        ({"google": ["paid"], "inverted": True}, GOOGLE_PAID, None),
        ({"google": ["paid"], "inverted": True}, DIRECT, Tier.POOL),
        ({"type": "direct", "google": ["organic"], "referrer": ["yelp"]}, GOOGLE_ORGANIC, Tier.REFERRER),
    ],
)
def test_session_tracker_rules(rule, visit, tier):
    assert session_rule_tier(rule, classify(visit), visit) == tier


@pytest.mark.parametrize(
    ("rule", "visit", "tier"),
    [
        ({"type": "all"}, DIRECT, Tier.CATCHALL),
        ({"type": "all"}, GOOGLE_PAID, Tier.CATCHALL),
        ({"type": "offline"}, DIRECT, None),
        ({"type": "google_ad_extension"}, GOOGLE_PAID, None),
        ({"type": "mobile_ad_extension"}, GOOGLE_PAID, None),
        ({"type": "google_my_business"}, GOOGLE_ORGANIC, None),
        ({"type": "direct"}, DIRECT, Tier.REFERRER),
        ({"type": "direct"}, GOOGLE_ORGANIC, None),
        ({"type": "web_referrer", "referrer": "facebook.com"}, FACEBOOK, Tier.REFERRER),
        ({"type": "web_referrer", "referrer": "facebook.com"}, Visit(f"{SITE}/", "https://notfacebook.com/"), None),
        ({"type": "web_referrer", "referrer": "yelp.com"}, FACEBOOK, None),
        ({"type": "landing_url", "landing": "www.alice-plumbing.example/promo1"}, PROMO, Tier.LANDING),
        ({"type": "landing_url", "landing": "https://alice-plumbing.example/promo1/"}, PROMO, Tier.LANDING),
        ({"type": "landing_url", "landing": "alice-plumbing.example/promo2"}, PROMO, None),
        ({"type": "landing_url", "landing": "alice-plumbing.example/promo1?coupon=spring"}, PROMO, Tier.LANDING),
        ({"type": "landing_url", "landing": "alice-plumbing.example/promo1?coupon=fall"}, PROMO, None),
        ({"type": "landing_params", "landing": "coupon=spring"}, PROMO, Tier.LANDING),
        ({"type": "landing_params", "landing": "coupon=spring&ref=print"}, PROMO, Tier.LANDING),
        ({"type": "landing_params", "landing": "coupon=fall"}, PROMO, None),
        ({"type": "landing_params", "landing": "ref"}, PROMO, Tier.LANDING),
        ({"type": "search", "search_engine": "google", "search_type": "paid"}, GOOGLE_PAID, Tier.REFERRER),
        ({"type": "search", "search_engine": "google", "search_type": "paid"}, GOOGLE_ORGANIC, None),
        ({"type": "search", "search_engine": "google", "search_type": "all"}, GOOGLE_ORGANIC, Tier.GROUP),
        ({"type": "search", "search_engine": "all", "search_type": "organic"}, BING_ORGANIC, Tier.GROUP),
        ({"type": "search", "search_engine": "all", "search_type": "all"}, DIRECT, None),
        ({"type": "search", "search_engine": "bing", "search_type": "all"}, GOOGLE_ORGANIC, None),
    ],
)
def test_source_tracker_rules(rule, visit, tier):
    assert source_rule_tier(rule, classify(visit), visit) == tier


@dataclass
class T:
    public_id: str
    type: str
    source: dict
    created_order: int = 0
    targets: list = field(default_factory=lambda: ["4045551234"])


POOL = T("pool", "session", {"type": "all"}, 0)
CATCHALL = T("catchall", "source", {"type": "all"}, 1)
GOOGLE_PAID_SOURCE = T("gpaid", "source", {"type": "search", "search_engine": "google", "search_type": "paid"}, 2)
SEARCH_GROUP = T("search", "source", {"type": "search", "search_engine": "all", "search_type": "all"}, 3)
PPC_POOL = T("ppc-pool", "session", {"google": ["paid"]}, 4)
LANDING = T("landing", "source", {"type": "landing_params", "landing": "coupon=spring"}, 5)
OFFLINE = T("offline", "source", {"type": "offline"}, 6)
DIRECT_SOURCE = T("direct", "source", {"type": "direct"}, 7)


@pytest.mark.parametrize(
    ("trackers", "visit", "winner"),
    [
        # The catch-all loses to anything else that matches, even a pool serving everyone.
        ([CATCHALL, POOL], DIRECT, "pool"),
        ([CATCHALL], DIRECT, "catchall"),
        ([CATCHALL, GOOGLE_PAID_SOURCE], GOOGLE_PAID, "gpaid"),
        # One specific origin beats a group of origins.
        ([SEARCH_GROUP, GOOGLE_PAID_SOURCE], GOOGLE_PAID, "gpaid"),
        ([SEARCH_GROUP, GOOGLE_PAID_SOURCE], GOOGLE_ORGANIC, "search"),
        # At the same tier a dedicated number beats a pool.
        ([PPC_POOL, GOOGLE_PAID_SOURCE], GOOGLE_PAID, "gpaid"),
        ([PPC_POOL, POOL], GOOGLE_PAID, "ppc-pool"),
        ([PPC_POOL, POOL], DIRECT, "pool"),
        # Landing rules beat everything.
        ([GOOGLE_PAID_SOURCE, LANDING, POOL], Visit(f"{SITE}/?coupon=spring&gclid=1"), "landing"),
        # Numbers for print and ad extensions never show on the web.
        ([OFFLINE], DIRECT, None),
        ([OFFLINE, DIRECT_SOURCE], DIRECT, "direct"),
        # Equal specificity: the older tracker wins.
        ([T("b", "source", {"type": "direct"}, 9), T("a", "source", {"type": "direct"}, 8)], DIRECT, "a"),
    ],
)
def test_precedence(trackers, visit, winner):
    chosen = choose_trackers(trackers, classify(visit), visit)
    assert (chosen["4045551234"].tracker.public_id if chosen else None) == winner


def test_each_swap_target_gets_its_own_best_tracker():
    main = T("main", "session", {"type": "all"}, 0, ["4045551234"])
    sales = T("sales", "source", {"type": "direct"}, 1, ["4045550000"])
    chosen = choose_trackers([main, sales], classify(DIRECT), DIRECT)
    assert {k: m.tracker.public_id for k, m in chosen.items()} == {"4045551234": "main", "4045550000": "sales"}
