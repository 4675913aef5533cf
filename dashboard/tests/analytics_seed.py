"""Calls for the Overview and Reports tests: made by the factories, then tagged, scored and
valued through ``call_update`` (the service behind the API's call update), as a marketer would.

``seed_history`` spreads a realistic mix over the last 60 days (the period and the one before
it); the tests compare pages with the API over these rows rather than with figures of their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Company, Tag, User
from api.tests.factories import CallFactory, FormSubmissionFactory, TrackerFactory
from telephony.models import Call
from telephony.services.edits import call_update
from tracking.models import Tracker

# (source code, medium, campaign, keyword, landing page, weight)
TRAFFIC = (
    ("google_paid", "cpc", "Spring sale", "emergency plumber", "https://alice.example/emergency", 9),
    ("google_paid", "cpc", "Brand", "alice plumbing", "https://alice.example/", 5),
    ("google_organic", "organic", "", "water heater repair", "https://alice.example/water-heaters", 7),
    ("bing_paid", "cpc", "Spring sale", "plumber near me", "https://alice.example/emergency", 3),
    ("facebook.com", "social", "Neighbors", "", "https://alice.example/offers", 3),
    ("direct", "", "", "", "https://alice.example/", 4),
    ("offline", "print", "Yellow pages", "", "", 2),
)
TAGS = ("Booked", "Quote sent", "Wrong number")


@dataclass(frozen=True)
class Seeded:
    trackers: list[Tracker]
    calls: list[Call]


def _moment(rng: random.Random, now: datetime, tz: ZoneInfo, days: int) -> datetime:
    local = now.astimezone(tz) - timedelta(days=rng.randint(1, days))
    # Business hours mostly, a few evening calls; weekdays busier than weekends.
    hour = rng.choice((8, 9, 9, 10, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 19, 21))
    return local.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)


def seed_history(company: Company, user: User, *, calls: int = 160, days: int = 60, seed: int = 7) -> Seeded:
    """``calls`` calls over the last ``days`` days in ``company``, with trackers, attribution,
    tags, lead scores and values, and a few form submissions."""
    rng = random.Random(seed)
    tz = ZoneInfo(company.time_zone)
    now = timezone.now()
    trackers = [
        TrackerFactory(company=company, name=name) for name in ("Website pool", "Google Ads number", "Print ads")
    ]
    for name in TAGS:
        Tag.objects.get_or_create(account=company.account, company=company, name=name)
    weights = [row[-1] for row in TRAFFIC]
    made: list[Call] = []
    for _ in range(calls):
        source, medium, campaign, keyword, landing, _weight = rng.choices(TRAFFIC, weights)[0]
        tracker = trackers[2] if source == "offline" else trackers[1] if source == "google_paid" else trackers[0]
        answered = rng.random() < 0.78
        # The API's call factory is not parameterised by its model: say what it makes.
        call = cast(
            Call,
            CallFactory(
                company=company,
                tracker=tracker,
                start_time=_moment(rng, now, tz, days),
                source=source,
                medium=medium,
                campaign=campaign,
                keywords=keyword,
                landing_page_url=landing,
                answered=answered,
                voicemail=not answered and rng.random() < 0.4,
                duration=rng.randint(45, 600) if answered else rng.randint(0, 30),
                first_call=rng.random() < 0.6,
                device_type=rng.choice(("mobile", "desktop")),
            ),
        )
        changes: dict[str, object] = {}
        if answered and rng.random() < 0.45:
            changes["lead_status"] = "good_lead"
            changes["value"] = str(Decimal(rng.choice((120, 250, 400, 900))))
        elif rng.random() < 0.15:
            changes["lead_status"] = "not_a_lead"
        if rng.random() < 0.35:
            changes["tags"] = rng.sample(TAGS, rng.choice((1, 1, 2)))
        if changes:
            call = call_update(call=call, changes=changes, user=user)
        made.append(call)
    for _ in range(calls // 8):
        source, medium, campaign, keyword, landing, _weight = rng.choices(TRAFFIC, weights)[0]
        FormSubmissionFactory(
            company=company,
            submitted_at=_moment(rng, now, tz, days),
            referrer=source,
            medium=medium,
            campaign=campaign,
            keywords=keyword,
            landing_page_url=landing,
        )
    return Seeded(trackers, made)
