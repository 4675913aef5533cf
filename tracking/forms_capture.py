"""Forms submitted on a company's site, captured by swap.js and tied to the visit.

Passwords and card numbers are never stored, whatever the field is called on
the page; the company's ignored fields (``form_submissions/ignored_fields``)
are dropped too. The customer's phone number, name and email are read from
the fields, so the submission joins the same lead (Person) as their calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.phone import to_e164_or_none
from tracking.classification import Visit, classify
from tracking.config_cache import CompanyConfig
from tracking.models import FormSubmission, VisitorSession
from tracking.people import person_for_contact
from tracking.signals import form_submitted
from tracking.visits import VisitReport, session_fields

_SECRET_NAME = re.compile(
    r"pass(word|wd|code)?\b|pwd|secret|card|cc[-_ ]?(num|number|no)|cvv|cvc|ccv|csc|security.?code|expir|iban|ssn|social.?security",
    re.I,
)
_PHONE_NAME = re.compile(r"phone|tel|mobile|cell", re.I)
_EMAIL_NAME = re.compile(r"e-?mail", re.I)
_EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"\D")

# Human names of classified sources, as CallRail reports them.
_SOURCE_NAMES = {
    "google_paid": "Google Paid",
    "google_organic": "Google Organic",
    "bing_paid": "Bing Paid",
    "bing_organic": "Bing Organic",
    "yahoo_paid": "Yahoo Paid",
    "yahoo_organic": "Yahoo Organic",
    "direct": "Direct",
}


def source_name(source: str) -> str:
    return _SOURCE_NAMES.get(source, source)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def looks_like_card_number(value: str) -> bool:
    digits = _DIGITS.sub("", value)
    return 13 <= len(digits) <= 19 and len(value.strip()) <= 23 and _luhn(digits)


def clean_fields(fields: dict[str, Any], ignored: list[str]) -> dict[str, Any]:
    """The fields worth storing: no secrets, no card numbers, none the company ignores."""
    ignored_names = {name.lower() for name in ignored}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name.lower() in ignored_names or _SECRET_NAME.search(name):
            continue
        if isinstance(value, list):
            value = [str(v)[:2000] for v in value[:50]]
            if any(looks_like_card_number(v) for v in value):
                continue
        else:
            value = "" if value is None else str(value)[:5000]
            if looks_like_card_number(value):
                continue
        cleaned[name] = value
    return cleaned


def _first(fields: dict[str, Any], name_pattern: re.Pattern[str]) -> str:
    for name, value in fields.items():
        if name_pattern.search(name) and isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def customer_details(fields: dict[str, Any]) -> tuple[str, str, str]:
    """(phone E.164, name, email) found in the form fields ('' when absent)."""
    phone = to_e164_or_none(_first(fields, _PHONE_NAME)) or ""
    email = _first(fields, _EMAIL_NAME)
    if not _EMAIL_VALUE.match(email):
        email = next((v.strip() for v in fields.values() if isinstance(v, str) and _EMAIL_VALUE.match(v.strip())), "")
    lowered = {name.lower().replace("-", "_").replace(" ", "_"): value for name, value in fields.items()}
    name = str(lowered.get("name") or lowered.get("full_name") or lowered.get("your_name") or "").strip()
    if not name:
        name = " ".join(str(lowered.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return phone, name[:255], email[:255]


@dataclass
class FormCapture:
    visitor_id: str
    session_key: str
    form_url: str
    fields: dict[str, Any]
    landing_url: str = ""
    landing_referrer: str = ""
    form_name: str = ""
    user_agent: str = ""
    ip: str | None = None


@transaction.atomic
def form_submission_capture(
    config: CompanyConfig, capture: FormCapture, *, at: datetime | None = None
) -> FormSubmission:
    """Store a submitted form, attributed to the visitor's session (created if the
    session never reached us, e.g. the number request failed). ``at`` is when it was
    submitted (default now; the demo's history replays past weeks)."""
    session = VisitorSession.objects.filter(company_id=config.id, session_key=capture.session_key).first()
    if session is None:
        # A session that never reached the DNI endpoint: recorded as a visit's first report would be.
        visit = Visit(capture.landing_url or capture.form_url, capture.landing_referrer)
        report = VisitReport(
            visitor_id=capture.visitor_id,
            session_key=capture.session_key,
            page_url=capture.form_url,
            user_agent=capture.user_agent,
            ip=capture.ip,
        )
        defaults = session_fields(config, report, visit, classify(visit), None)
        session, _ = VisitorSession.objects.get_or_create(
            company_id=defaults.pop("company_id"), session_key=defaults.pop("session_key"), defaults=defaults
        )
    fields = clean_fields(capture.fields, config.ignored_form_fields)
    phone, name, email = customer_details(fields)
    person = person_for_contact(account_id=config.account_id, company_id=config.id, phone=phone, email=email, name=name)
    if person is not None:
        if session.person_id is None:
            VisitorSession.objects.filter(pk=session.pk).update(person=person)
        first_form = not FormSubmission.objects.filter(company_id=config.id, person=person).exists()
    else:
        first_form = not FormSubmission.objects.filter(
            company_id=config.id, session__visitor_id=session.visitor_id
        ).exists()
    touch = session.first_touch()
    submission = FormSubmission.objects.create(
        account_id=config.account_id,
        company_id=config.id,
        session=session,
        person=person,
        form_data=fields,
        form_name=capture.form_name,
        form_url=capture.form_url,
        referrer=session.source,
        submitted_at=at or timezone.now(),
        first_form=first_form,
        customer_phone_number=phone,
        customer_name=name,
        customer_email=email,
        source=source_name(session.source),
        **{name: touch[name] for name in FormSubmission.TOUCH_FIELDS},
    )
    form_submitted.send(sender=FormSubmission, submission=submission)
    return submission
