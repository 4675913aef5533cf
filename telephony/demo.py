"""Three weeks of life for the demo company, so that a newcomer's dashboard is full on the
first start of ``make run``.

Nothing is written by hand: visits are reported to the DNI service (``visit_report``),
calls are placed by the call simulator through the Twilio webhooks (in process, each
request stamped with the moment it happened), customers' texts arrive by the SMS webhook,
replies, tags and scores go through the services the API uses, and forms are captured as
swap.js sends them. Everything is replayed in time order, so each call is attributed to
the visit that held its number at that moment, exactly as it would have been live.

The history is random but repeatable (a fixed seed) and ends with two visitors on the
site right now, for the live view.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import Company, User
from telephony.call_simulator import CallSimulator, InProcess, text_simulate
from telephony.models import Call
from telephony.services.edits import call_update
from telephony.services.texts import text_message_send
from tracking.config_cache import CompanyConfig, company_config, company_config_forget
from tracking.form_submissions import form_submission_update
from tracking.forms_capture import FormCapture, form_submission_capture
from tracking.page_views import page_views_flush
from tracking.visits import VisitReport, visit_report

DAYS = 21
SITE = "https://www.demo-plumbing.example"
MOBILE_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
TAGS = ("Emergency", "Water heater", "Drain", "Quote sent", "New customer")
FIRST_NAMES = ("Maria", "James", "Aisha", "Tom", "Linda", "Carlos", "Priya", "Kevin", "Grace", "Omar", "Nina", "Paul")
LAST_NAMES = ("Garcia", "Nguyen", "Johnson", "Okafor", "Smith", "Patel", "Brown", "Kim", "Lopez", "Walker")
CITIES = (
    ("ATLANTA", "GA", "30303"),
    ("DECATUR", "GA", "30030"),
    ("MARIETTA", "GA", "30060"),
    ("ROSWELL", "GA", "30075"),
)
# Where visitors come from: (weight, landing path, referrer, landing parameters).
SOURCES: tuple[tuple[int, str, str, dict[str, str]], ...] = (
    (
        30,
        "/emergency-plumber",
        "https://www.google.com/",
        {
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "Emergency plumbing",
            "utm_term": "emergency plumber near me",
            "gclid": "",
        },
    ),
    (24, "/water-heaters", "https://www.google.com/", {}),
    (
        14,
        "/spring-tune-up",
        "https://m.facebook.com/",
        {"utm_source": "facebook", "utm_medium": "social", "utm_campaign": "Spring tune-up", "fbclid": ""},
    ),
    (14, "/", "", {}),
    (10, "/reviews", "https://www.yelp.com/biz/demo-plumbing-atlanta", {}),
    (8, "/drain-cleaning", "https://www.bing.com/", {}),
)
PAGES = ("/services", "/pricing", "/about", "/contact", "/reviews", "/water-heaters")
# Conversations of the history: the customer, then the office, in turn.
TEXTS = (
    (
        "Hi, is someone available today? Our kitchen sink is backing up.",
        "Yes! A plumber can be there after 2 pm.",
        "Perfect, see you then.",
    ),
    ("Do you install tankless water heaters?", "We do. Want us to send a quote?", "Yes please, for a 3 bedroom house."),
    ("Thanks for coming out yesterday, all good now!", "Glad to hear it. Thanks for choosing us!"),
    ("Can I move my appointment to Friday morning?", "Friday at 9 am works. See you then."),
)
LAST_TEXT = "Hello, what are your rates for a drain cleaning?"


@dataclass
class Visitor:
    """One visit of the history and what the visitor does on it."""

    key: str
    start: datetime
    landing: str
    referrer: str
    pages: list[str]
    mobile: bool
    phone: str
    name: str
    city: tuple[str, str, str]
    calls: bool
    fills_form: bool
    number: str = ""  # the pool number they were shown


@dataclass
class History:
    """What the history made, for the command's report and its tests."""

    visits: int = 0
    calls: int = 0
    forms: int = 0
    texts: int = 0


class _Replay:
    def __init__(self, company: Company, user: User | None, now: datetime, seed: int) -> None:
        self.company = company
        self.user = user
        self.now = now
        self.random = random.Random(seed)
        self.tz = ZoneInfo(company.time_zone)
        self.transport = InProcess()
        self.base_url = settings.PUBLIC_BASE_URL
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.history = History()
        self.callers: list[tuple[str, str, tuple[str, str, str]]] = []
        self.lines = iter(self.random.sample(range(100, 200), 100))
        trackers = {tracker.type: tracker for tracker in company.trackers.filter(status="active")}
        self.pool = trackers["session"]
        self.ads_number = trackers["source"].numbers.filter(status="active").values_list("number", flat=True).first()
        self.text_number = self.pool.numbers.filter(status="active").values_list("number", flat=True).first()

    # --- planning --------------------------------------------------------------------------

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        self.events.append((when, len(self.events), action))

    def caller(self) -> tuple[str, str, tuple[str, str, str]]:
        """A customer: now and then one who called before (a repeat caller)."""
        if self.callers and self.random.random() < 0.15:
            return self.random.choice(self.callers)
        line = next(self.lines, None)
        area = self.random.choice(("404", "470", "678", "770"))
        phone = f"+1{area}555{line if line is not None else self.random.randrange(100, 200):04d}"
        name = (
            f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}" if self.random.random() < 0.6 else ""
        )
        caller = (phone, name, self.random.choice(CITIES))
        self.callers.append(caller)
        return caller

    def moment(self, day: int) -> datetime:
        """A time of a business day ``day`` days ago, in the company's zone (busiest mid-morning)."""
        date = (self.now.astimezone(self.tz) - timedelta(days=day)).date()
        hour = min(20, max(7, round(self.random.gauss(12, 3))))
        local = datetime(date.year, date.month, date.day, hour, self.random.randrange(60), tzinfo=self.tz)
        return local + timedelta(seconds=self.random.randrange(60))

    def plan(self) -> None:
        for day in range(DAYS, -1, -1):
            weekend = (self.now.astimezone(self.tz) - timedelta(days=day)).weekday() >= 5
            for _ in range(self.random.randint(4, 7) if weekend else self.random.randint(8, 14)):
                start = self.moment(day)
                if start < self.now - timedelta(minutes=40):
                    self.plan_visit(start)
            if self.ads_number and self.random.random() < 0.8:
                start = self.moment(day)
                if start < self.now - timedelta(minutes=10):
                    phone, name, city = self.caller()
                    self.at(start, partial(self.ads_call, phone, name, city, start))
        self.plan_texts()

    def plan_visit(self, start: datetime) -> None:
        weights = [weight for weight, *_ in SOURCES]
        _, path, referrer, params = self.random.choices(SOURCES, weights=weights)[0]
        params = {
            key: value or f"{key[:2].upper()}{uuid.UUID(int=self.random.getrandbits(128)).hex[:20]}"
            for key, value in params.items()
        }
        landing = f"{SITE}{path}" + (f"?{urlencode(params)}" if params else "")
        phone, name, city = self.caller()
        visitor = Visitor(
            key=uuid.UUID(int=self.random.getrandbits(128)).hex,
            start=start,
            landing=landing,
            referrer=referrer,
            pages=[f"{SITE}{page}" for page in self.random.sample(PAGES, self.random.randint(0, 3))],
            mobile=self.random.random() < 0.55,
            phone=phone,
            name=name,
            city=city,
            calls=self.random.random() < 0.4,
            fills_form=self.random.random() < 0.12,
        )
        seen = start
        self.at(seen, lambda: self.view(visitor, visitor.landing, start, first=True))
        for page in visitor.pages:
            seen += timedelta(seconds=self.random.randint(20, 150))
            self.at(seen, partial(self.view, visitor, page, seen))
        if visitor.fills_form:
            form_at = seen + timedelta(seconds=self.random.randint(30, 120))
            self.at(form_at, lambda: self.form(visitor, form_at))
        if visitor.calls:
            call_at = seen + timedelta(seconds=self.random.randint(30, 600))
            self.at(call_at, lambda: self.pool_call(visitor, call_at))

    def plan_texts(self) -> None:
        for index, conversation in enumerate(TEXTS):
            phone, _, _ = self.caller()
            when = self.moment(self.random.randint(1, DAYS - index - 1))
            for turn, body in enumerate(conversation):
                send = self.text_out if turn % 2 else self.text_in
                self.at(when, partial(send, phone, body, when))
                when += timedelta(minutes=self.random.randint(2, 40))
        phone, _, _ = self.caller()
        asked = self.now - timedelta(minutes=25)
        self.at(asked, lambda: self.text_in(phone, LAST_TEXT, asked))

    # --- replaying -------------------------------------------------------------------------

    def config(self) -> CompanyConfig:
        config = company_config(self.company.public_id)
        assert config is not None, "the demo company has no DNI configuration"
        return config

    def view(self, visitor: Visitor, url: str, when: datetime, *, first: bool = False) -> None:
        answer = visit_report(
            self.config(),
            VisitReport(
                visitor_id=f"demo-{visitor.key}",
                session_key=visitor.key,
                page_url=url,
                page_referrer=visitor.referrer if first else visitor.landing,
                landing_url=visitor.landing,
                landing_referrer=visitor.referrer,
                first_contact=first,
                user_agent=MOBILE_AGENT if visitor.mobile else DESKTOP_AGENT,
            ),
            at=when,
        )
        if first:
            self.history.visits += 1
        visitor.number = next(iter(answer.numbers.values()), visitor.number)

    def pool_call(self, visitor: Visitor, when: datetime) -> None:
        if visitor.number:
            self.call(visitor.number, visitor.phone, visitor.name, visitor.city, when)

    def ads_call(self, phone: str, name: str, city: tuple[str, str, str], when: datetime) -> None:
        if self.ads_number:
            self.call(self.ads_number, phone, name, city, when)

    def call(self, to: str, phone: str, name: str, city: tuple[str, str, str], when: datetime) -> None:
        roll = self.random.random()
        if to == self.ads_number:
            # The ads' number takes a voicemail when the office does not answer.
            outcome = "answered" if roll < 0.5 else ("voicemail" if roll < 0.9 else "no-answer")
        else:
            outcome = "answered" if roll < 0.78 else "no-answer"
        duration = self.random.randint(35, 480) if outcome == "answered" else self.random.randint(12, 55)
        result = CallSimulator(
            base_url=self.base_url,
            to=to,
            from_=phone,
            outcome=outcome,
            duration=duration,
            caller_name=name,
            city=city[0],
            state=city[1],
            zip_code=city[2],
            session=self.transport,
            at=when,
        ).run()
        self.history.calls += 1
        call = Call.objects.filter(call_sid=result.call_sid).first()
        if call is not None and call.answered:
            self.score(call)

    def score(self, call: Call) -> None:
        """What a marketer does with an answered call: a lead status now and then, a tag or two."""
        changes: dict[str, object] = {}
        roll = self.random.random()
        if roll < 0.45 and call.lead_status != Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD:
            changes["lead_status"] = Call.LeadStatus.GOOD_LEAD
            changes["value"] = self.random.choice(("149.00", "240.00", "385.00", "1250.00"))
        elif roll < 0.55:
            changes["lead_status"] = Call.LeadStatus.NOT_A_LEAD
        if self.random.random() < 0.5:
            changes["tags"] = self.random.sample(TAGS, self.random.randint(1, 2))
        if changes:
            call_update(call=call, changes=changes, user=self.user)

    def form(self, visitor: Visitor, when: datetime) -> None:
        first, _, last = (
            visitor.name or f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"
        ).partition(" ")
        submission = form_submission_capture(
            self.config(),
            FormCapture(
                visitor_id=f"demo-{visitor.key}",
                session_key=visitor.key,
                form_url=f"{SITE}/contact",
                form_name="Request a quote",
                fields={
                    "first_name": first,
                    "last_name": last,
                    "phone": visitor.phone,
                    "email": f"{first.lower()}.{last.lower()}@example.com",
                    "service": self.random.choice(("Leak repair", "Water heater", "Drain cleaning", "Remodel")),
                    "message": "Please call me back with a quote.",
                },
                landing_url=visitor.landing,
                landing_referrer=visitor.referrer,
                user_agent=MOBILE_AGENT if visitor.mobile else DESKTOP_AGENT,
            ),
            at=when,
        )
        self.history.forms += 1
        if self.random.random() < 0.4:
            form_submission_update(submission=submission, changes={"lead_status": "good_lead"}, user=self.user)

    def text_in(self, phone: str, body: str, when: datetime) -> None:
        if self.text_number:
            text_simulate(
                base_url=self.base_url, to=self.text_number, from_=phone, body=body, at=when, session=self.transport
            )
            self.history.texts += 1

    def text_out(self, phone: str, body: str, when: datetime) -> None:
        text_message_send(
            account=self.company.account,
            company=self.company,
            customer_phone_number=phone,
            content=body,
            tracking_number=self.text_number,
            user=self.user,
            at=when,
        )
        self.history.texts += 1

    def run(self) -> History:
        self.plan()
        for _, _, action in sorted(self.events, key=lambda event: (event[0], event[1])):
            action()
        self.now_visitors()
        page_views_flush(scope=self.pool.public_id)
        page_views_flush(scope=self.company.public_id)
        return self.history

    def now_visitors(self) -> None:
        """Two visitors on the site as the dashboard opens, holding pool numbers (no calls)."""
        for seconds_ago in (300, 45):
            start = self.now - timedelta(seconds=seconds_ago)
            weights = [weight for weight, *_ in SOURCES]
            _, path, referrer, params = self.random.choices(SOURCES, weights=weights)[0]
            visitor = Visitor(
                key=uuid.UUID(int=self.random.getrandbits(128)).hex,
                start=start,
                landing=f"{SITE}{path}"
                + (f"?{urlencode({k: v or 'demo' for k, v in params.items()})}" if params else ""),
                referrer=referrer,
                pages=[],
                mobile=seconds_ago < 100,
                phone="",
                name="",
                city=CITIES[0],
                calls=False,
                fills_form=False,
            )
            self.view(visitor, visitor.landing, start, first=True)


def demo_history_seed(*, company: Company, user: User | None, now: datetime | None = None, seed: int = 2024) -> History:
    """Replay ``DAYS`` days of visits, calls, texts and forms for the demo ``company``.

    ``user`` is who scores calls and answers texts. Run once, on a company with no calls yet."""
    company_config_forget(company_pk=company.pk)
    return _Replay(company, user, now or timezone.now(), seed).run()
