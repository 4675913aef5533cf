"""The call log (``/calls/``): one row per call, filtered, searched, sorted and paged by
keyset, with a play button per recording, and its CSV export of exactly the filtered rows.
Rows come from ``telephony.selectors.call_log``, the query behind the v3 API's call list."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import Truncator
from django.views import View

from accounts.models import Tag
from dashboard.access import DashboardMixin, Scope
from dashboard.call_log import (
    ANSWER_STATUS_LABELS,
    DIRECTION_LABELS,
    FILTER_NAMES,
    LEAD_STATUS_LABELS,
    PER_PAGE,
    PER_PAGE_CHOICES,
    CallLogQuery,
    FilterParam,
    call_log_query,
    cursor_token,
    sort_links,
    status_of,
)
from dashboard.state import DashboardState
from dashboard.templatetags.calls import duration, money, page_path, phone
from dashboard.views.pages import PageView
from telephony.models import Call
from telephony.recording_links import recording_audio_path, recording_link_expiry
from telephony.selectors import call_log, call_page
from tracking.models import Tracker
from tracking.source_names import SOURCE_NAMES, source_display

# The filters under "More filters": the section opens when one of them is in use.
MORE_FILTERS = frozenset(
    {"campaign", "tags", "direction", "first_call", "has_recording", "min_duration", "max_duration"}
)
# Rows fetched per database round trip while a CSV export streams.
EXPORT_CHUNK = 2000


LEAD_BADGES = {
    "good_lead": ("good", "Good lead"),
    "not_a_lead": ("not", "Not a lead"),
    "previously_marked_good_lead": ("previous", "Earlier good lead"),
}


@dataclass(frozen=True)
class CallRow:
    """A call as its row shows it, formatted here once: a page of rows is then plain
    values for the template (rendering stays a small part of the page's time)."""

    public_id: str
    caller: str  # the name, or the number when there is none
    caller_sub: str  # the number (under a name) and where they are
    first_call: bool
    outbound: bool
    iso_time: str
    day: str
    time: str
    source: str
    source_sub: str
    tracker: str
    landing_path: str
    landing_url: str
    status: str
    status_label: str
    duration: str
    audio_url: str | None
    tags: list[str]
    lead: tuple[str, str] | None  # (colour key, label)
    value: str


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def call_row(call: Call, tz: Any, expires: int) -> CallRow:
    number = phone(call.customer_phone_number)
    place = ", ".join(part for part in (call.customer_city.title(), call.customer_state) if part)
    local = timezone.localtime(call.start_time, tz)
    status, label = status_of(call)
    return CallRow(
        public_id=call.public_id,
        caller=call.customer_name or number or "Unknown caller",
        caller_sub=_joined(number if call.customer_name else "", place),
        first_call=call.first_call,
        outbound=call.direction == Call.Direction.OUTBOUND,
        iso_time=local.isoformat(),
        day=dateformat.format(local, "M j"),
        time=dateformat.format(local, "g:i A"),
        source=source_display(call.source) or "",
        source_sub=_joined(call.medium, call.campaign, f"“{call.keywords}”" if call.keywords else ""),
        tracker=call.tracker.name if call.tracker else "",
        landing_path=Truncator(page_path(call.landing_page_url)).chars(40),
        landing_url=call.landing_page_url,
        status=status,
        status_label=label,
        duration=duration(call.duration),
        audio_url=recording_audio_path(call.public_id, expires) if call.has_recording else None,
        tags=sorted(tag.name for tag in call.tags.all()),
        lead=LEAD_BADGES.get(call.lead_status or ""),
        value=money(call.value),
    )


def scoped_calls(scope: Scope, query: CallLogQuery) -> QuerySet[Call]:
    """The calls the page's company, period, filters and sort select (what the API lists
    for the same parameters)."""
    # An admin looking at all companies sees the whole account, as the API does (no list
    # of companies to check each row against).
    every_company = scope.company is None and scope.user.is_admin
    return call_log(
        account=scope.account,
        company_ids=None if every_company else scope.company_ids,
        start=scope.window.start,
        end=scope.window.end,
        filters=query.filters,
        sort=query.sort,
    )


def call_rows(scope: Scope, calls: Iterable[Call]) -> list[CallRow]:
    # One expiry for the whole page: every row's link is signed for the same moment.
    expires = recording_link_expiry(scope.account)
    return [call_row(call, scope.window.tz, expires) for call in calls]


def _trackers(scope: Scope) -> list[Tracker]:
    return list(
        Tracker.objects.filter(account=scope.account, company_id__in=scope.company_ids)
        .order_by("name", "pk")
        .only("public_id", "name", "company_id")
    )


def _tag_names(scope: Scope) -> list[str]:
    tags = Tag.objects.filter(account=scope.account).filter(
        Q(company__isnull=True) | Q(company_id__in=scope.company_ids)
    )
    return sorted(set(tags.values_list("name", flat=True)), key=str.lower)


class CallsView(PageView):
    template_name = "dashboard/calls.html"
    title = "Calls"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scope, state = self.scope, self.scope.state
        if not scope.companies:
            return context
        query = call_log_query(state)
        calls = scoped_calls(scope, query).select_related("tracker").prefetch_related("tags")
        page = call_page(calls, query.sort, cursor=query.cursor, per_page=query.per_page)
        trackers = _trackers(scope)
        tracker_names = {tracker.public_id: tracker.name for tracker in trackers}
        context.update(
            query=query,
            page=page,
            rows=call_rows(scope, page.rows),
            next_url=state.query(page=cursor_token(page.next)) if page.next else None,
            previous_url=state.query(page=cursor_token(page.previous)) if page.previous else None,
            sorts=dict(sort_links(state, query.sort)),
            chips=list(_chips(state, query, tracker_names)),
            trackers=trackers,
            tag_names=_tag_names(scope),
            sources=SOURCE_NAMES,
            answer_statuses=ANSWER_STATUS_LABELS,
            lead_statuses=LEAD_STATUS_LABELS,
            directions=DIRECTION_LABELS,
            per_page_choices=PER_PAGE_CHOICES,
            current={name: state.get(name) for name in FILTER_NAMES},
            hidden_fields=state.hidden_fields(*FILTER_NAMES),
            per_page_hidden=state.hidden_fields(PER_PAGE),
            selected_tags=set(query.filters.tags),
            more_filters_open=bool(set(query.filters.active) & MORE_FILTERS),
            detail_query=state.query(),
            first_number=(page.number - 1) * query.per_page + 1,
            last_number=(page.number - 1) * query.per_page + len(page.rows),
            filtered=bool(query.applied),
            clear_url=state.query(**dict.fromkeys(FILTER_NAMES)),
            export_url=reverse("dashboard:calls-export") + state.query(page=None),
        )
        return context


def _chip_text(item: FilterParam, value: str, tracker_names: dict[str, str]) -> str:
    if item.choices:
        return item.choices.get(value, value)
    if item.name == "source":
        return source_display(value) or value
    if item.name == "tracker_id":
        return tracker_names.get(value, value)
    return value


def _chips(state: DashboardState, query: CallLogQuery, tracker_names: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """Each applied filter value as (label, text, the link that removes it and only it)."""
    for item, value in query.applied:
        if item.name == "tags":
            rest = [tag for tag in state.getlist("tags") if tag != value]
            url = state.query(tags=rest or None)
        else:
            url = state.query(**{item.name: None})
        yield item.label, _chip_text(item, value, tracker_names), url


# --- the CSV export ------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "start_time",
    "customer_name",
    "customer_phone_number",
    "customer_city",
    "customer_state",
    "first_call",
    "direction",
    "status",
    "duration",
    "tracker",
    "tracking_phone_number",
    "source",
    "medium",
    "campaign",
    "keywords",
    "landing_page_url",
    "referring_url",
    "tags",
    "lead_status",
    "value",
    "note",
    "recorded",
)
# A spreadsheet runs a cell starting with one of these as a formula; such a value gets a
# leading apostrophe. A phone number ("+1404…") or a negative number is left as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if value[0] in "+-" and value[1:].replace(".", "", 1).isdigit():
        return value
    return "'" + value


def _csv_row(call: Call, tz: Any) -> list[Any]:
    status = status_of(call)[0]
    values = [
        call.public_id,
        timezone.localtime(call.start_time, tz).isoformat(),
        call.customer_name,
        call.customer_phone_number,
        call.customer_city,
        call.customer_state,
        "yes" if call.first_call else "no",
        call.direction,
        status,
        call.duration if call.duration is not None else "",
        call.tracker.name if call.tracker else "",
        call.tracking_phone_number,
        source_display(call.source) or "",
        call.medium,
        call.campaign,
        call.keywords,
        call.landing_page_url,
        call.referring_url,
        "; ".join(sorted(tag.name for tag in call.tags.all())),
        call.lead_status or "",
        call.value if call.value is not None else "",
        call.note,
        "yes" if call.has_recording else "no",
    ]
    return [_cell(value) for value in values]


class _Echo:
    """A file whose ``write`` hands the line back, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(calls: QuerySet[Call], tz: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    # Streamed in chunks: any number of rows, never all of them in memory at once.
    for call in calls.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(_csv_row(call, tz))


class CallsExportView(DashboardMixin, View):
    """``Export CSV``: every call the call log's URL selects, in its order (no page)."""

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        scope = self.scope
        query = call_log_query(scope.state)
        calls = scoped_calls(scope, query).select_related("tracker").prefetch_related("tags")
        company = scope.company.public_id if scope.company else "all-companies"
        name = f"calls-{company}-{scope.window.first_day:%Y-%m-%d}-to-{scope.window.last_day:%Y-%m-%d}.csv"
        response = StreamingHttpResponse(_csv_lines(calls, scope.window.tz), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
