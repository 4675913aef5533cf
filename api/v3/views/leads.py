"""Leads and their timelines (an extension of v3, see api/v3/serializers/leads.py)."""

from __future__ import annotations

import math
import re
from typing import Any

import django_filters
from django.db.models import CharField, F, Q, QuerySet, Value
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3 import formatting
from api.v3.dates import date_window, zone_resolve
from api.v3.filters import CompanyIdFilter, V3FilterSet
from api.v3.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, positive_int
from api.v3.serializers.base import iso8601
from api.v3.serializers.leads import LeadSerializer, LeadTimelineSerializer, TimelineEntrySerializer, entry_time
from api.v3.viewsets import V3ViewSet
from telephony.models import Call, TextMessage
from tracking.models import FormSubmission, Person


class LeadFilterSet(V3FilterSet):
    # Searched by filter_search, which matches phone numbers by their digits.
    search_fields = ("name", "email", "phone_number")
    company_id = CompanyIdFilter()
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """One term over the name, the email and the phone number (any formatting: its digits)."""
        term = value.strip()
        if not term:
            return qs
        condition = Q(name__icontains=term) | Q(email__icontains=term)
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 3:
            condition |= Q(phone_number__contains=digits)
        return qs.filter(condition)


class LeadViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "leads"
    id_prefix = "PER"
    queryset = Person.objects.select_related("company")
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    sort_fields = {"created_at": "-created_at", "name": "name", "email": "email"}
    http_method_names = ["get", "head", "options"]
    reference_extension = (
        "live CallRail serves leads (its deduplicated people) and clients use them (callrail-mcp's "
        "list_leads and get_lead_timeline). A lead is one customer of a company, however many times "
        "they called, texted or filled in a form; ids are PER…."
    )

    def time_zone(self) -> Any:
        return zone_resolve(self.request.query_params.get("time_zone"), self.user)[0]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "time_zone": self.time_zone()}

    @extend_schema(
        parameters=[
            OpenApiParameter("date_range", str, description="When the lead was created: recent, today, ... all_time."),
            OpenApiParameter("start_date", str, description="YYYY-MM-DD (creation date)."),
            OpenApiParameter("end_date", str, description="YYYY-MM-DD (creation date)."),
            OpenApiParameter("time_zone", str, description="IANA zone for the times (default: the user's)."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if any(request.query_params.get(name) for name in ("date_range", "start_date", "end_date")):
            window = date_window(request.query_params, self.user)
            queryset = queryset.filter(**window.lookups("created_at"))
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        responses=LeadTimelineSerializer,
        parameters=[
            OpenApiParameter("page", int, description="Page of the timeline, from 1."),
            OpenApiParameter("per_page", int, description=f"Entries per page (at most {MAX_PER_PAGE})."),
            OpenApiParameter("time_zone", str, description="IANA zone for the times (default: the user's)."),
        ],
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead's calls, texts (both ways) and form submissions, oldest first, with the
        first and last interactions that carried marketing attribution."""
        person = self.get_object()
        per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
        page = positive_int(request.query_params.get("page"), 1)
        sources = timeline_sources(person)
        total = sum(queryset.count() for queryset in sources.values())
        rows = timeline_page(sources, start=(page - 1) * per_page, stop=page * per_page)
        context = self.get_serializer_context()
        return Response(
            {
                "lead": LeadSerializer(person, context=context).data,
                "first_touch": touch(sources, first=True, context=context),
                "last_touch": touch(sources, first=False, context=context),
                "page": page,
                "per_page": per_page,
                "total_pages": math.ceil(total / per_page) if total else 0,
                "total_records": total,
                "timeline": TimelineEntrySerializer(rows, many=True, context=context).data,
            }
        )


# Each kind of interaction, with the column that places it in time.
KINDS: dict[str, tuple[type, str]] = {
    "call": (Call, "start_time"),
    "form_submission": (FormSubmission, "submitted_at"),
    "text_message": (TextMessage, "created_at"),
}


def timeline_sources(person: Person) -> dict[str, QuerySet]:
    """The lead's interactions of each kind (spam calls are not interactions)."""
    return {
        "call": Call.objects.filter(person=person, spam=False),
        "form_submission": FormSubmission.objects.filter(person=person),
        "text_message": TextMessage.objects.filter(conversation__person=person),
    }


def timeline_page(sources: dict[str, QuerySet], *, start: int, stop: int) -> list[Any]:
    """Rows ``start:stop`` of the lead's interactions in time order, all kinds merged.

    The database merges and pages (kind, id, time) of all three kinds in one UNION
    query; only the page's rows are then loaded, one query per kind.
    """
    keys = [
        queryset.annotate(kind=Value(kind, output_field=CharField()), at=F(KINDS[kind][1]))
        .order_by()
        .values_list("kind", "pk", "at")
        for kind, queryset in sources.items()
    ]
    merged = keys[0].union(*keys[1:], all=True).order_by("at", "kind", "pk")
    page = list(merged[start:stop])
    loaded: dict[tuple[str, int], Any] = {}
    for kind in {kind for kind, _, _ in page}:
        model = KINDS[kind][0]
        queryset = model.objects.filter(pk__in=[pk for k, pk, _ in page if k == kind])
        if model is TextMessage:
            queryset = queryset.select_related("conversation")
        loaded.update({(kind, row.pk): row for row in queryset})
    return [loaded[(kind, pk)] for kind, pk, _ in page if (kind, pk) in loaded]


def touch(sources: dict[str, QuerySet], *, first: bool, context: dict[str, Any]) -> dict[str, Any] | None:
    """The first (or last) call or form submission, with its marketing attribution."""
    candidates = []
    for kind in ("call", "form_submission"):
        field = KINDS[kind][1]
        ordered = sources[kind].order_by(field if first else f"-{field}", "pk" if first else "-pk")
        row = ordered.first()
        if row is not None:
            candidates.append((entry_time(row), kind, row))
    if not candidates:
        return None
    _, kind, row = min(candidates, key=lambda item: item[0]) if first else max(candidates, key=lambda item: item[0])
    source = row.source if kind == "call" else (row.source or row.referrer)

    def blank(value: str) -> str | None:
        return value or None

    return {
        "type": kind,
        "id": row.public_id,
        "occurred_at": iso8601(entry_time(row), context.get("time_zone")),
        "source": formatting.source_display(source),
        "medium": blank(row.medium),
        "campaign": blank(row.campaign),
        "landing_page_url": blank(row.landing_page_url),
        "referring_url": blank(row.referring_url),
    }
