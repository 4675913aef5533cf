"""Reads of calls that the v3 API and the dashboard share, so that both always list the same
calls in the same order: the call log's filters, its search and its sort orders, its keyset
pages, and what a call's detail shows of the visit behind it.

The interfaces parse their own parameters (the API answers 400 for a bad value, the
dashboard drops it with a notice) into a ``CallFilters``; everything that decides which
rows match is here. The reports (``telephony.reports``: the API's summaries, the dashboard's
overview and report pages) narrow their calls with the same ``CallFilters``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.fields import parse_public_or_numeric
from accounts.models import Account
from callrail.keyset import keyset_after, keyset_before
from telephony.callflows.validation import flow_steps
from telephony.dimensions import DIMENSIONS, LEAD_STATUSES, UTC_ZONE, choice_check, lead_status_q
from telephony.models import Call
from tracking.models import NumberAssignment, PageView, VisitorSession
from tracking.source_names import source_codes_named

CALL_TYPES = ("first_call", "missed", "voicemails", "inbound", "outbound")
ANSWER_STATUSES = ("answered", "missed", "voicemail")
DIRECTIONS = ("inbound", "outbound")
DEVICES = ("desktop", "mobile")
# The summaries take ``all`` too, for no filter (as the reference has it).
ALL = "all"
REPORT_DEVICES = (*DEVICES, ALL)
REPORT_DIRECTIONS = (*DIRECTIONS, ALL)
REPORT_ANSWER_STATUSES = (*ANSWER_STATUSES, ALL)
# A number search needs this many digits: fewer would match nearly every call.
SEARCH_MIN_DIGITS = 3


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


# --- conditions -------------------------------------------------------------------------------


def answer_status_q(value: str) -> Q:
    """``answered``, ``voicemail``, or ``missed`` (neither answered nor a voicemail)."""
    if value == "answered":
        return Q(answered=True)
    if value == "voicemail":
        return Q(voicemail=True)
    return ~Q(answered=True) & Q(voicemail=False)


def call_type_q(value: str) -> Q:
    """The reference's ``call_type``: first calls, missed inbound calls, voicemails, or a direction."""
    if value == "first_call":
        return Q(first_call=True)
    if value == "missed":
        return answer_status_q("missed") & Q(direction=Call.Direction.INBOUND)
    if value == "voicemails":
        return Q(voicemail=True)
    return Q(direction=value)


def source_search_q(term: str) -> Q:
    """A search on source: the stored code or its display name (``Google Ads``)."""
    term = term.strip()
    return Q(source__icontains=term) | Q(source__in=source_codes_named(term))


def call_search_q(term: str) -> Q:
    """One search term over the caller's name, city, the note, the voicemail transcription,
    the source, and (by their digits, whatever the formatting) the customer's, tracking and
    business numbers."""
    term = term.strip()
    condition = (
        Q(customer_name__icontains=term)
        | Q(customer_city__icontains=term)
        | Q(note__icontains=term)
        | Q(transcription__icontains=term)
        | source_search_q(term)
    )
    digits = digits_of(term)
    if len(digits) >= SEARCH_MIN_DIGITS:
        for name in ("customer_phone_number", "tracking_phone_number", "business_phone_number"):
            condition |= Q(**{f"{name}__contains": digits})
    return condition


def tracker_q(value: str) -> Q:
    """The tracker given as ``TRK…`` or its numeric id; matches nothing when malformed."""
    lookup = parse_public_or_numeric(value, "TRK")
    if lookup is None:
        return Q(pk__in=[])
    return Q(**{f"tracker__{key}": val for key, val in lookup.items()})


def tagged_q(names: Iterable[str]) -> Q:
    """Calls carrying ANY of the named tags: a semi-join (``pk IN (SELECT …)``), so no call
    is repeated and no DISTINCT is needed over a large table."""
    through = Call.tags.through
    return Q(pk__in=through.objects.filter(tag__name__in=list(names)).values("call_id"))


# --- the filters of a call list ----------------------------------------------------------------


@dataclass(frozen=True)
class CallFilters:
    """What a call list or a call report is narrowed to: the API's call list and summaries,
    the dashboard's call log and report pages. Empty values (and the summaries' ``all``)
    leave a filter out. The interfaces check the values against their own choices first; a
    value no filter reads is a ``ValidationError`` here (a message meant for the user)."""

    # Calls of ANY of these trackers (``TRK…`` or numeric ids); a malformed id matches nothing.
    trackers: tuple[str, ...] = ()
    person: str = ""
    call_type: str = ""
    answer_status: str = ""
    device: str = ""
    direction: str = ""
    lead_status: str = ""
    # Calls carrying ANY of these tags.
    tags: tuple[str, ...] = ()
    # The call list's search: names, city, note, transcription, source and numbers.
    search: str = ""
    # The summaries' search: the source only (its code or its display name).
    source_search: str = ""
    source: str = ""
    campaign: str = ""
    first_call: bool | None = None
    has_recording: bool | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    # The agent who handled the call (``USR…`` or a numeric id).
    agent: str = ""
    # (dimension name, value) pairs, e.g. (("source", "Google Ads"),): calls with every one.
    dimensions: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value:
                choice_check(name, value, allowed)
        for name, _ in self.dimensions:
            choice_check("dimension", name, DIMENSIONS)

    @property
    def active(self) -> list[str]:
        """The names of the filters that narrow the list."""
        return [item.name for item in fields(self) if not _unset(item.name, getattr(self, item.name))]

    def conditions(self, tz: ZoneInfo = UTC_ZONE) -> list[Q]:
        """One condition a filter that narrows; ``tz`` is the zone of an hour-of-day dimension."""
        found = [_CONDITIONS[name](getattr(self, name)) for name in self.active if name != "dimensions"]
        return found + [DIMENSIONS[name].condition(value, tz) for name, value in self.dimensions]

    def q(self, tz: ZoneInfo = UTC_ZONE) -> Q:
        condition = Q()
        for item in self.conditions(tz):
            condition &= item
        return condition


def _unset(name: str, value: Any) -> bool:
    return value in ("", (), None) or (value == ALL and name in _ALL_MEANS_ANY)


# The filters whose values are one of a few choices, and those choices.
_CHOICES: dict[str, tuple[str, ...]] = {
    "call_type": CALL_TYPES,
    "answer_status": REPORT_ANSWER_STATUSES,
    "device": REPORT_DEVICES,
    "direction": REPORT_DIRECTIONS,
    "lead_status": LEAD_STATUSES,
}

# Where the summaries' ``all`` is a choice meaning no filter.
_ALL_MEANS_ANY = ("answer_status", "device", "direction")


def _recording_q(present: bool) -> Q:
    has = ~Q(recording_url="") | ~Q(recording_sid="")
    return has if present else ~has


def trackers_q(values: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for value in values:
        condition |= tracker_q(value)
    return condition


def agent_q(value: str) -> Q:
    """The agent given as ``USR…`` or its numeric id; a malformed one is refused."""
    lookup = parse_public_or_numeric(value, "USR")
    if lookup is None:
        raise ValidationError("agent must be a user id")
    return Q(**{f"agent__{key}": val for key, val in lookup.items()})


_CONDITIONS: dict[str, Callable[[Any], Q]] = {
    "trackers": trackers_q,
    "person": lambda value: Q(person__public_id=value),
    "call_type": call_type_q,
    "answer_status": answer_status_q,
    "device": lambda value: Q(device_type=value),
    "direction": lambda value: Q(direction=value),
    "lead_status": lead_status_q,
    "tags": tagged_q,
    "search": lambda value: call_search_q(value) if value.strip() else Q(),
    "source_search": lambda value: source_search_q(value) if value.strip() else Q(),
    "source": lambda value: Q(source=value),
    "campaign": lambda value: Q(campaign__iexact=value),
    "first_call": lambda value: Q(first_call=value),
    "has_recording": _recording_q,
    "min_duration": lambda value: Q(duration__gte=value),
    "max_duration": lambda value: Q(duration__lte=value),
    "agent": agent_q,
}


# --- sort orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallSort:
    """A sort order of the call list: the key (``CALL_SORTS``) and its direction; ties are
    broken by id in the same direction, so every page is stable."""

    key: str = "start_time"
    descending: bool = True

    @classmethod
    def named(cls, key: str, descending: bool | None = None) -> CallSort:
        """``key`` in its natural direction (newest first for times) unless told otherwise."""
        natural = CALL_SORTS[key][1]
        return cls(key=key, descending=natural if descending is None else descending)

    @property
    def column(self) -> str:
        """The column, or the annotation ``call_sort_annotate`` adds, that rows are ordered by."""
        return CALL_SORTS[self.key][0]

    @property
    def order_by(self) -> tuple[str, str]:
        prefix = "-" if self.descending else ""
        return f"{prefix}{self.column}", f"{prefix}id"


# The reference's sort fields: {name: (column or annotation, descending by default)}.
CALL_SORTS: dict[str, tuple[str, bool]] = {
    "start_time": ("start_time", True),
    "customer_name": ("customer_name", False),
    "customer_phone_number": ("customer_phone_number", False),
    "duration": ("_sort_duration", False),
    "source": ("source", False),
    "customer_city": ("customer_city", False),
    "customer_country": ("customer_country", False),
    "landing_page_url": ("landing_page_url", False),
    "device_type": ("device_type", False),
    "answered": ("_sort_answered", False),
    "first_call": ("first_call", False),
    "source_name": ("source_name", False),
    "lead_status": ("_sort_lead_status", False),
    "tags": ("_sort_tags", False),
}


def call_sort_annotate(queryset: QuerySet[Call], key: str) -> QuerySet[Call]:
    """Add the annotation sort ``key`` orders by, if it needs one. Nullable keys are
    coalesced so keyset pages can seek on them (a NULL never compares); tags sort by the
    call's first tag name."""
    if key == "duration":
        return queryset.annotate(_sort_duration=Coalesce(F("duration"), Value(-1), output_field=IntegerField()))
    if key == "answered":
        return queryset.annotate(_sort_answered=Coalesce(F("answered"), Value(False)))
    if key == "lead_status":
        return queryset.annotate(_sort_lead_status=Coalesce(F("lead_status"), Value("")))
    if key == "tags":
        through = Call.tags.through
        first_tag = through.objects.filter(call_id=OuterRef("pk")).order_by("tag__name").values("tag__name")[:1]
        return queryset.annotate(_sort_tags=Coalesce(Subquery(first_tag), Value("")))
    return queryset


def calls_sorted(queryset: QuerySet[Call], sort: CallSort) -> QuerySet[Call]:
    return call_sort_annotate(queryset, sort.key).order_by(*sort.order_by)


# --- the call log ---------------------------------------------------------------------------------


def call_log(
    *,
    account: Account,
    company_ids: Sequence[int] | None,
    start: datetime,
    end: datetime,
    filters: CallFilters,
    sort: CallSort,
) -> QuerySet[Call]:
    """The calls of ``account`` started in ``[start, end)``, narrowed by ``filters`` and in
    ``sort`` order, spam left out (reference: Updating a Call, ``spam``). ``company_ids``
    limits them to those companies (None: every company of the account)."""
    queryset = Call.objects.filter(account=account, spam=False, start_time__gte=start, start_time__lt=end)
    if company_ids is not None:
        queryset = queryset.filter(company_id__in=list(company_ids))
    return calls_sorted(queryset.filter(filters.q()), sort)


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: after (or, going back, before) the row with this sort key
    and id. ``page`` is the page's number, for people."""

    key: Any
    id: int
    backwards: bool = False
    page: int = 2


@dataclass
class CallPage:
    rows: list[Call]
    number: int
    next: Cursor | None = None
    previous: Cursor | None = None


def call_page(queryset: QuerySet[Call], sort: CallSort, *, cursor: Cursor | None, per_page: int) -> CallPage:
    """One page of a sorted call list (``call_log``) by keyset: ``per_page`` rows after
    ``cursor`` (or before it, going back), whatever the page's number. One query."""
    column = sort.column
    if cursor is not None and cursor.backwards and cursor.page <= 1:
        # Back to the first page: the real one, with any call that arrived since on it.
        cursor = None
    if cursor is None:
        rows = list(queryset[: per_page + 1])
        more_after, more_before, number = len(rows) > per_page, False, 1
        rows = rows[:per_page]
    elif cursor.backwards:
        before = keyset_before(column, cursor.key, cursor.id, descending=sort.descending)
        reverse = [item[1:] if item.startswith("-") else f"-{item}" for item in sort.order_by]
        rows = list(queryset.filter(before).order_by(*reverse)[: per_page + 1])
        more_after, more_before, number = True, len(rows) > per_page, cursor.page
        rows = list(reversed(rows[:per_page]))
    else:
        after = keyset_after(column, cursor.key, cursor.id, descending=sort.descending)
        rows = list(queryset.filter(after)[: per_page + 1])
        more_after, more_before, number = len(rows) > per_page, True, cursor.page
        rows = rows[:per_page]
    page = CallPage(rows=rows, number=number)
    if rows and more_after:
        last = rows[-1]
        page.next = Cursor(key=getattr(last, column), id=last.pk, page=number + 1)
    if rows and more_before:
        first = rows[0]
        page.previous = Cursor(key=getattr(first, column), id=first.pk, backwards=True, page=number - 1)
    return page


# --- the visit behind a call ----------------------------------------------------------------------


def call_visitor_sessions(call: Call) -> QuerySet[VisitorSession]:
    """The sessions of the visitor who called: every visit of theirs to the company's site
    (the session alone when the visitor is not known)."""
    if not call.session_id:
        return VisitorSession.objects.none()
    session = VisitorSession.objects.only("visitor_id", "company_id").get(pk=call.session_id)
    sessions = VisitorSession.objects.filter(account_id=call.account_id, company_id=session.company_id)
    if session.visitor_id:
        return sessions.filter(visitor_id=session.visitor_id)
    return sessions.filter(pk=session.pk)


def call_page_views(call: Call) -> QuerySet[PageView]:
    """The visitor's pages up to the call, newest first (none after the call)."""
    if not call.session_id:
        return PageView.objects.none()
    return PageView.objects.filter(
        account_id=call.account_id,
        session__in=call_visitor_sessions(call).values("pk"),
        created_at__lte=call.start_time,
    ).order_by("-created_at", "-id")


def call_number_assignments(call: Call) -> QuerySet[NumberAssignment]:
    """Which tracking number the calling visit was shown, from when until when."""
    if not call.session_id:
        return NumberAssignment.objects.none()
    return (
        NumberAssignment.objects.filter(session_id=call.session_id, started_at__lte=call.start_time)
        .select_related("tracking_number", "tracker")
        .order_by("started_at", "id")
    )


# --- how a call was handled ------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowStepVisit:
    """One step of the call flow the call went through, in order."""

    kind: str  # the step type: dial, simultaneous, round_robin, menu, voicemail, schedule...
    name: str  # the step's name, or what it says
    numbers: tuple[str, ...] = ()  # the phones it rang (E.164), in the order they were tried
    pressed: str = ""  # the key the caller pressed (menus)
    tags: tuple[str, ...] = ()  # the tags it applied (tag steps)


def _step_visit(step: dict[str, Any], order: dict[str, list[str]], keys: Iterator[dict[str, Any]]) -> FlowStepVisit:
    kind = step["type"]
    name = step.get("name") or step.get("prompt_text") or ""
    if kind == "dial":
        return FlowStepVisit(kind, name, (step["destination_number"],))
    if kind == "simultaneous":
        return FlowStepVisit(kind, name, tuple(step["destination_numbers"]))
    if kind == "round_robin":
        return FlowStepVisit(kind, name, tuple(order.get(str(step["id"])) or step["destination_numbers"]))
    if kind == "menu":
        entry = next(keys, None)
        return FlowStepVisit(kind, name, pressed=str((entry or {}).get("value") or ""))
    if kind == "tag":
        return FlowStepVisit(kind, name, tags=tuple(step.get("tags") or ()))
    return FlowStepVisit(kind, name)


def call_flow_trace(call: Call) -> list[FlowStepVisit]:
    """The steps of its tracker's call flow that ``call`` went through (as the flow reads
    now: a step removed since is left out), with the phones each rang and the keys pressed."""
    if call.tracker is None or call.direction != Call.Direction.INBOUND:
        return []
    try:
        flow = flow_steps(call.tracker.call_flow)
    except (ValidationError, KeyError, TypeError):
        return []
    by_id = {str(step["id"]): step for step in flow.get("steps", [])}
    state = call.flow_state or {}
    order = state.get("rr_order") or {}
    keys = iter(call.keypad_entries or [])
    return [_step_visit(by_id[str(step_id)], order, keys) for step_id in state.get("path", []) if str(step_id) in by_id]
