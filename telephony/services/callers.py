"""Who is calling and what brought them: the lead and their history with the company
(``caller_lookup``, one statement on every inbound call) and the visit or source the call
is attributed to (``call_attribute``)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q

from accounts.models import Company
from callrail.db import from_row, prepared_cursor, select_columns
from telephony.models import Call
from tracking.attribution import session_for_number
from tracking.clicks import clicks_before_call
from tracking.models import ClickEvent, Person, Tracker, TrackingNumber, VisitorSession
from tracking.people import person_insert


def source_for_tracker(tracker: Tracker) -> tuple[str, str]:
    """(source, medium) for calls to a source tracker, from its ``source`` config."""
    config = tracker.source if isinstance(tracker.source, dict) else {}
    kind = config.get("type", "")
    if kind == "search":
        engine = config.get("search_engine") or "all"
        search_type = config.get("search_type") or "all"
        name = "search" if engine == "all" else engine
        if search_type in ("paid", "organic"):
            return f"{name}_{search_type}", "cpc" if search_type == "paid" else "organic"
        return name, ""
    if kind == "web_referrer":
        return (config.get("referrer") or "referral"), "referral"
    if kind == "direct":
        return "direct", "direct"
    if kind in ("landing_url", "landing_params"):
        return "landing_page", ""
    if kind == "offline":
        return "offline", "offline"
    if kind in ("google_ad_extension", "mobile_ad_extension"):
        return kind, "cpc"
    if kind == "google_my_business":
        return kind, "organic"
    return kind, ""


def call_attribute(*, call: Call, tracking_number: TrackingNumber) -> VisitorSession | None:
    """Copy the first touch of the visit behind the call onto it (source trackers: the
    tracker's own source). Returns the session, if one held the number."""
    tracker = tracking_number.tracker
    call.source_name = tracker.name
    if tracker.type == Tracker.Type.SOURCE:
        call.source, call.medium = source_for_tracker(tracker)
        call.campaign = tracker.campaign_name
        return None
    session = session_for_number(tracking_number=tracking_number, at=call.start_time)
    if session is None:
        return None
    call.session = session
    for name, value in session.first_touch().items():
        setattr(call, name, value)
    # Without a UTM campaign the tracker's names it; without keywords, the paid click's term.
    call.campaign = call.campaign or tracker.campaign_name
    call.keywords = call.keywords or session.utm_term
    return session


# A call without a visit (a source tracker's or fallback number) is linked to a click on the
# number it rang only this soon after it: on a shared number, later clicks are other visitors'.
UNSESSIONED_CALL_AFTER_CLICK = timedelta(minutes=5)


def call_clicks_link(call: Call) -> list[ClickEvent]:
    """Link the call to the tel: clicks it followed: the same visitor's (by the visit that held
    its number) or, for a call without a visit, the latest unlinked click on the number it rang."""
    if call.session_id is not None:
        visitor_id = VisitorSession.objects.filter(pk=call.session_id).values_list("visitor_id", flat=True).first()
        clicks = (
            clicks_before_call(company_id=call.company_id, visitor_id=visitor_id, at=call.start_time)
            if visitor_id
            else []
        )
    else:
        dialled = "".join(ch for ch in call.tracking_phone_number if ch.isdigit())[-10:]
        latest = (
            ClickEvent.objects.filter(
                company_id=call.company_id,
                phone_number__endswith=dialled,
                clicked_at__gte=call.start_time - UNSESSIONED_CALL_AFTER_CLICK,
                clicked_at__lte=call.start_time,
                calls__isnull=True,
            ).first()
            if len(dialled) == 10
            else None
        )
        clicks = [latest] if latest is not None else []
    if clicks:
        call.click_events.add(*clicks)
    return clicks


@dataclass(frozen=True)
class CallerHistory:
    prior_calls: int
    marked_spam: bool
    good_lead_before: bool


def _history_filters() -> dict[str, Q]:
    return {
        "prior": Q(spam=False),
        # Marked by a person (challenged calls of a spammer carry a "challenge" state).
        "spam": Q(spam=True, flow_state__challenge__isnull=True),
        "good": Q(lead_status=Call.LeadStatus.GOOD_LEAD),
    }


def caller_history(*, company_id: int, phone_number: str) -> CallerHistory:
    """What earlier calls say about this caller, in one index-backed query."""
    facts = Call.objects.from_caller(company_id=company_id, customer_phone_number=phone_number).aggregate(
        **{name: Count("id", filter=condition) for name, condition in _history_filters().items()}
    )
    return CallerHistory(prior_calls=facts["prior"], marked_spam=facts["spam"] > 0, good_lead_before=facts["good"] > 0)


def caller_lookup(*, company: Company, phone_number: str, name: str = "") -> tuple[Person, CallerHistory]:
    """The caller's person and history in one statement (plus the insert of a new person).

    Every inbound call runs it, so it is written as SQL: the ORM spelling of the same
    query cost more CPU to compile than the database took to answer it."""
    calls = connection.ops.quote_name(Call._meta.db_table)
    people = connection.ops.quote_name(Person._meta.db_table)
    if connection.vendor == "postgresql":
        by_hand = "NOT (flow_state ? 'challenge')"
    else:
        by_hand = "json_type(flow_state, '$.challenge') IS NULL"
    sql = (
        f"SELECT {select_columns(Person, 'p')}, h.prior_calls, h.marked_spam, h.good_leads FROM ("
        "SELECT count(*) FILTER (WHERE NOT spam) AS prior_calls,"
        # Marked by a person: the challenged calls of a known spammer carry a "challenge" state.
        f" count(*) FILTER (WHERE spam AND {by_hand}) AS marked_spam,"
        f" count(*) FILTER (WHERE lead_status = '{Call.LeadStatus.GOOD_LEAD}') AS good_leads"
        f" FROM {calls} WHERE company_id = %s AND customer_phone_number = %s) h"
        f" LEFT JOIN {people} p ON p.company_id = %s AND p.phone_number = %s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [company.pk, phone_number, company.pk, phone_number])
        row = cursor.fetchone()
    prior_calls, marked_spam, good_leads = row[-3:]
    history = CallerHistory(prior_calls=prior_calls, marked_spam=marked_spam > 0, good_lead_before=good_leads > 0)
    if row[0] is not None:
        person = from_row(Person, row)
        person.company = company
        return person, history
    person = person_insert(account_id=company.account_id, company_id=company.pk, phone_number=phone_number, name=name)
    return person, history
