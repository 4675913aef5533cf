"""Calls: list, show, outbound create, update, summary, time series, recording and
page views (reference: "Calls", "Page Views")."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.fields import parse_public_or_numeric
from accounts.models import User
from accounts.phone import is_us_or_canada, to_e164
from api.v3 import milestones, reports
from api.v3.dates import date_window, zone_resolve
from api.v3.filters import CompanyIdFilter, TagsFilter, V3FilterSet, parse_bool
from api.v3.pagination import OffsetPagination, RelativePagination
from api.v3.serializers.calls import DEFAULT_FIELDS, WRITE_RESPONSE_FIELDS, CallSerializer, CallUpdateInputSerializer
from api.v3.serializers.requests import CallCreateRequestSerializer
from api.v3.viewsets import ALL_ROLES, V3ViewSet
from integrations.models import Integration
from integrations.v3_shapes import iso8601
from telephony import recording_links, selectors
from telephony.access import call_access_record
from telephony.models import Call, CallAccess, CallQuerySet, OutboundCallerId
from telephony.reports import call_report_filter, call_summary, call_timeseries
from telephony.selectors import CALL_SORTS, CallFilters, CallSort, call_sort_annotate
from telephony.services.edits import call_update
from telephony.services.outbound import outbound_call_start
from tracking.models import TrackingNumber


class CallFilterSet(V3FilterSet):
    """The call list's parameters, read into ``telephony.selectors.CallFilters``: the
    dashboard's call log applies the same filters, search and sort orders."""

    # Reference: business_phone_number, customer_name, customer_number, note, source,
    # tracking_phone_number (numbers match on their digits); the customer's city and the
    # voicemail transcription are searched too, as in the dashboard (``call_search_q``).
    search_fields = (
        "business_phone_number",
        "customer_name",
        "customer_phone_number",
        "note",
        "source",
        "tracking_phone_number",
        "customer_city",
        "transcription",
    )
    company_id = CompanyIdFilter()
    tracker_id = django_filters.CharFilter(method="filter_tracker")
    person_id = django_filters.CharFilter(method="filter_person")
    call_type = django_filters.CharFilter(method="filter_call_type")
    answer_status = django_filters.CharFilter(method="filter_answer_status")
    device = django_filters.CharFilter(method="filter_device")
    direction = django_filters.CharFilter(method="filter_direction")
    lead_status = django_filters.CharFilter(method="filter_lead_status")
    tags = TagsFilter()
    search = django_filters.CharFilter(method="filter_search")
    # Extensions the dashboard's call log offers too.
    source = django_filters.CharFilter(method="filter_source")
    campaign = django_filters.CharFilter(method="filter_campaign")
    first_time_callers = django_filters.CharFilter(method="filter_first_time_callers")
    has_recording = django_filters.CharFilter(method="filter_has_recording")
    min_duration = django_filters.CharFilter(method="filter_min_duration")
    max_duration = django_filters.CharFilter(method="filter_max_duration")

    class Meta:
        model = Call
        fields: list[str] = []

    @staticmethod
    def narrowed(qs: QuerySet, **values: Any) -> QuerySet:
        return qs.filter(CallFilters(**values).q())

    def filter_tracker(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, trackers=(value,))

    def filter_person(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, person=value)

    def filter_call_type(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check(name, value, selectors.CALL_TYPES)
        return self.narrowed(qs, call_type=value)

    def filter_answer_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check(name, value, selectors.ANSWER_STATUSES)
        return self.narrowed(qs, answer_status=value)

    def filter_device(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check(name, value, selectors.DEVICES)
        return self.narrowed(qs, device=value)

    def filter_direction(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check(name, value, selectors.DIRECTIONS)
        return self.narrowed(qs, direction=value)

    def filter_lead_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check(name, value, selectors.LEAD_STATUSES)
        return self.narrowed(qs, lead_status=value)

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, search=value)

    def filter_source(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, source=value.strip())

    def filter_campaign(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, campaign=value.strip())

    def filter_first_time_callers(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, first_call=parse_bool(value, name))

    def filter_has_recording(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, has_recording=parse_bool(value, name))

    def filter_min_duration(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, min_duration=_seconds(value, name))

    def filter_max_duration(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return self.narrowed(qs, max_duration=_seconds(value, name))


def _seconds(value: str, name: str) -> int:
    try:
        seconds = int(value.strip())
    except ValueError as exc:
        raise exceptions.ValidationError(f"{name} must be a whole number of seconds") from exc
    if seconds < 0:
        raise exceptions.ValidationError(f"{name} must not be negative")
    return seconds


class CallSummarySerializer(serializers.Serializer):
    """The shape of ``calls/summary.json`` (for the OpenAPI description)."""

    start_date = serializers.CharField()
    end_date = serializers.CharField()
    time_zone = serializers.CharField()
    total_results = serializers.DictField()
    grouped_by = serializers.CharField(required=False)
    grouped_results = serializers.ListField(child=serializers.DictField(), required=False)


class CallTimeseriesSerializer(serializers.Serializer):
    """The shape of ``calls/timeseries.json`` (for the OpenAPI description)."""

    start_date = serializers.CharField()
    end_date = serializers.CharField()
    time_zone = serializers.CharField()
    total_results = serializers.DictField()
    data = serializers.ListField(child=serializers.DictField())


class CallViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "calls"
    id_prefix = "CAL"
    queryset = Call.objects.all()
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    default_ordering = CallSort().order_by
    # The orders the dashboard's call log offers too (telephony.selectors.CALL_SORTS).
    sort_fields = {name: ("-" if descending else "") + column for name, (column, descending) in CALL_SORTS.items()}
    # Reporting users annotate calls (tags, notes, lead status): the reference's role table.
    action_roles = {"update": ALL_ROLES, "partial_update": ALL_ROLES}
    throttle_scopes = {"create": "outbound_call"}
    http_method_names = ["get", "post", "put", "head", "options"]

    def apply_sorting(self, queryset: QuerySet) -> QuerySet:
        sort = self.request.query_params.get("sort")
        if sort in CALL_SORTS:
            queryset = call_sort_annotate(queryset, sort)
        return super().apply_sorting(queryset)

    # --- context --------------------------------------------------------------------

    def time_zone(self) -> Any:
        return zone_resolve(self.request.query_params.get("time_zone"), self.user)[0]

    def with_related(self, queryset: CallQuerySet, fields: set[str]) -> CallQuerySet:
        related = ["agent"]
        if fields & {"company_id", "company_name", "company_time_zone"}:
            related.append("company")
        if fields & {"tracker_id", "source_name"}:
            related.append("tracker")
        if fields & {"person_id", "timeline_url"}:
            related.append("person")
        queryset = queryset.select_related(*related)
        if "tags" in fields:
            queryset = queryset.prefetch_related("tags")
        if "click_events" in fields:
            queryset = queryset.prefetch_related("click_events")
        if "total_calls" in fields:
            queryset = queryset.with_total_calls()
        return queryset

    def page_context(self, rows: list[Call], fields: set[str], many: bool) -> dict[str, Any]:
        context = {**self.get_serializer_context(), "time_zone": self.time_zone(), "many": many}
        if "milestones" in fields and rows:
            context["milestones"] = milestones.MilestoneBuilder(rows, context["time_zone"])
        if fields & {"good_lead_call_id", "good_lead_call_time"} and rows:
            _good_leads_attach(rows)
        if "integration_data" in fields and rows:
            context["integrations"] = list(
                Integration.objects.filter(company_id__in={row.company_id for row in rows}, state="active")
            )
        return context

    # --- reads ----------------------------------------------------------------------

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        fields = self.requested_fields()
        window = date_window(request.query_params, self.user, account=self.account)
        # Calls marked as spam leave the call log (reference: Updating a Call, `spam`).
        queryset = self.filter_queryset(self.get_queryset()).filter(**window.lookups("start_time"), spam=False)
        queryset = self.with_related(queryset, fields)
        relative = parse_bool(request.query_params.get("relative_pagination") or "false", "relative_pagination")
        paginator = RelativePagination() if relative else OffsetPagination()
        rows = paginator.paginate_queryset(queryset, request, self)
        data = CallSerializer(rows, many=True, context=self.page_context(rows, fields, many=True)).data
        return paginator.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        call = self.get_object()
        call.account = self.account
        call_access_record(call, request.auth, self.client_ip(), CallAccess.What.CALL)
        return Response(self.render_call(call))

    def get_object(self) -> Call:
        self.queryset = self.with_related(Call.objects.all(), self.requested_fields() | {"tags"})
        return super().get_object()

    def render_call(self, call: Call, only: tuple[str, ...] | None = None) -> dict[str, Any]:
        fields = self.requested_fields()
        context = self.page_context([call], fields, many=False)
        if only:
            context["only_fields"] = only
        return CallSerializer(call, context=context).data

    # --- writes ---------------------------------------------------------------------

    @extend_schema(request=CallCreateRequestSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Place an outbound call: ring the business first, then bridge the customer."""
        body = self.request_body()
        numbers = {}
        for name in ("caller_id", "customer_phone_number", "business_phone_number"):
            value = body.get(name)
            if value in (None, ""):
                raise exceptions.ValidationError(f"{name} is required")
            try:
                number = to_e164(str(value))
            except DjangoValidationError as exc:
                raise exceptions.ValidationError(f"{name}: {exc.messages[0]}") from exc
            # Outbound calls run between US and Canadian numbers only (reference).
            if not is_us_or_canada(number):
                raise exceptions.ValidationError(f"{name} must be a valid 10 digit US or Canadian number")
            numbers[name] = number
        recording = body.get("recording_enabled")
        agent = None
        if body.get("agent_id") not in (None, ""):
            lookup = parse_public_or_numeric(body["agent_id"], "USR")
            agent = User.objects.filter(account=self.account, **(lookup or {"pk__in": []})).first()
            if agent is None:
                raise exceptions.ValidationError("agent_id does not name a user of this account")
        company = self.company_param(body.get("company_id"), required=False)
        if company is None:
            company = self._company_of_caller_id(numbers["caller_id"])
        call = outbound_call_start(
            account=self.account,
            company=company,
            caller_id=numbers["caller_id"],
            customer_phone_number=numbers["customer_phone_number"],
            business_phone_number=numbers["business_phone_number"],
            recording_enabled=None if recording is None else parse_bool(recording, "recording_enabled"),
            outbound_greeting_text=body.get("outbound_greeting_text") or None,
            outbound_greeting_recording_url=body.get("outbound_greeting_recording_url") or None,
            agent=agent,
        )
        return Response(self.render_call(call, WRITE_RESPONSE_FIELDS), status=status.HTTP_201_CREATED)

    def _company_of_caller_id(self, caller_id: str) -> Any:
        """The company a caller id belongs to: its tracking number's, or its verified caller id's."""
        companies = self.user.visible_companies()
        number = (
            TrackingNumber.objects.filter(account=self.account, number=caller_id, status="active")
            .select_related("tracker__company")
            .first()
        )
        if number and companies.filter(pk=number.tracker.company_id).exists():
            return number.tracker.company
        caller = (
            OutboundCallerId.objects.filter(account=self.account, phone_number=caller_id, verified=True)
            .select_related("company")
            .first()
        )
        if caller and companies.filter(pk=caller.company_id).exists():
            return caller.company
        raise exceptions.ValidationError(
            "caller_id must be one of your tracking numbers or a verified outbound caller id"
        )

    @extend_schema(request=CallUpdateInputSerializer, responses={200: CallSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        call = self.get_object()
        body = self.request_body()
        allowed = ("tags", "append_tags", "note", "value", "lead_status", "customer_name", "spam")
        changes = {key: body[key] for key in allowed if key in body}
        lead_status = changes.get("lead_status")
        if lead_status not in (None, "", "good_lead", "not_a_lead"):
            raise exceptions.ValidationError("lead_status must be good_lead, not_a_lead or null")
        # Reference: a call already counted through an earlier good lead cannot be scored again.
        if lead_status == "good_lead" and call.lead_status == Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD:
            raise exceptions.ValidationError(
                "This caller was previously marked as a good lead; the call cannot be marked good_lead again."
            )
        if "spam" in changes:
            changes["spam"] = _spam_change(changes["spam"])
        if "tags" in changes and changes["tags"] is not None and not isinstance(changes["tags"], list):
            raise exceptions.ValidationError("tags must be an array of tag names")
        call = call_update(call=call, changes=changes, user=self.user)
        call = self.get_object()
        return Response(self.render_call(call, WRITE_RESPONSE_FIELDS))

    # --- reports --------------------------------------------------------------------

    def report_queryset(self) -> tuple[QuerySet, Any]:
        params = self.request.query_params
        window = date_window(params, self.user, account=self.account)
        queryset = Call.objects.filter(account=self.account, spam=False, **window.lookups("start_time"))
        if not self.user.is_admin:
            queryset = queryset.filter(company__in=self.user.visible_companies())
        company = self.company_param(params.get("company_id"), required=False)
        if company is not None:
            queryset = queryset.filter(company=company)
        return call_report_filter(queryset, reports.call_filters(params)), window

    @extend_schema(responses=CallSummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = request.query_params
        metrics = reports.selected_metrics(params, reports.CALL_METRICS, "total_calls")
        group_by = reports.choice_param(params, "group_by", reports.CALL_GROUPS)
        queryset, window = self.report_queryset()
        result = call_summary(queryset, group_by=group_by, metrics=metrics)
        return Response(reports.summary_render(result, window=window, metrics=metrics, group_by=group_by))

    @extend_schema(responses=CallTimeseriesSerializer)
    @action(detail=False, methods=["get"])
    def timeseries(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = request.query_params
        metrics = reports.selected_metrics(params, reports.CALL_METRICS, "total_calls")
        interval = reports.choice_param(params, "interval", reports.INTERVALS) or "day"
        queryset, window = self.report_queryset()
        result = call_timeseries(
            queryset, window=window, interval=interval, metrics=metrics, max_points=reports.MAX_DATA_POINTS
        )
        return Response(reports.timeseries_render(result, window=window, interval=interval, metrics=metrics))

    @action(detail=True, methods=["get"])
    def recording(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        call = self.get_object()
        if not call.has_recording:
            raise exceptions.NotFound("This call has no recording")
        call.account = self.account
        call_access_record(call, request.auth, self.client_ip(), CallAccess.What.RECORDING)
        return Response({"url": recording_links.recording_audio_url(call.public_id, self.account)})

    @action(detail=True, methods=["get"])
    def page_views(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The visitor's pages before the call, newest first (none after the call)."""
        call = self.get_object()
        views = selectors.call_page_views(call)
        paginator = OffsetPagination()
        self.resource_name = "page_views"
        rows = paginator.paginate_queryset(views, request, self)
        tz = self.time_zone()
        data = [
            {
                "referrer_url": row.referrer_url or None,
                "page_url": row.page_url,
                "created_at": iso8601(row.created_at, tz),
            }
            for row in rows
        ]
        return paginator.get_paginated_response(data)


__all__ = ["DEFAULT_FIELDS", "CallViewSet"]

SPAM_REMOVAL_REFUSED = (
    "spam: You cannot remove spam status via the API; send true to mark a call as spam, "
    "or null (or leave spam out) to keep it as it is."
)


def _spam_change(value: Any) -> bool | None:
    """``spam`` in a call update: True marks the call, None leaves it as it is.

    Reference, "Updating a Call": a field sent as null or blank is cleared, and spam
    status cannot be removed through the API. So null and "" are accepted (a call that
    is not spam has nothing to clear; on a spam call the service refuses, since clearing
    would unmark it), while false, an explicit request to unmark, is always refused:
    answering 200 to a change that is never made would look like success (clients such
    as pycallrail send every field, null included, on each update).
    """
    if value is None or value == "":
        return None
    if parse_bool(value, "spam"):
        return True
    raise exceptions.ValidationError(SPAM_REMOVAL_REFUSED)


def _good_leads_attach(rows: list[Call]) -> None:
    """The earlier good-lead call of each "previously marked good lead" row, for the
    whole page in one query (the serializer reads ``_good_lead``)."""
    marked = [row for row in rows if row.lead_status == Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD]
    for row in rows:
        row._good_lead = None
    if not marked:
        return
    earlier = (
        Call.objects.filter(
            lead_status=Call.LeadStatus.GOOD_LEAD,
            company_id__in={row.company_id for row in marked},
            customer_phone_number__in={row.customer_phone_number for row in marked},
        )
        .order_by("start_time", "id")
        .values_list("company_id", "customer_phone_number", "person_id", "numeric_id", "start_time")
    )
    candidates: dict[tuple[int, str], list[tuple[int | None, int, Any]]] = defaultdict(list)
    for company_id, phone, person_id, numeric_id, start in earlier:
        candidates[(company_id, phone)].append((person_id, numeric_id, start))
    for row in marked:
        row._good_lead = next(
            (
                (numeric_id, start)
                for person_id, numeric_id, start in candidates[(row.company_id, row.customer_phone_number)]
                if not row.person_id or person_id == row.person_id
            ),
            None,
        )
