"""SMS threads: list, show with messages, update the lead fields (an extension of v3,
see api/v3/serializers/sms_threads.py)."""

from __future__ import annotations

import math
import re
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3.dates import date_window
from api.v3.filters import CompanyIdFilter, V3FilterSet
from api.v3.pagination import DEFAULT_PER_PAGE, positive_int
from api.v3.serializers.sms_threads import (
    SmsThreadDetailSerializer,
    SmsThreadSerializer,
    SmsThreadUpdateInputSerializer,
)
from api.v3.serializers.text_messages import TextMessageSerializer
from api.v3.viewsets import ALL_ROLES, V3ViewSet
from telephony.models import Call, TextConversation

# A thread's messages come at most 100 to a page (live CallRail's limit for threads).
MAX_MESSAGES_PER_PAGE = 100
# Body keys of a thread update → the conversation's field names.
UPDATE_FIELDS = {
    "notes": "note",
    "value": "value",
    "tags": "tags",
    "append_tags": "append_tags",
    "lead_qualification": "lead_status",
    "state": "state",
}


class SmsThreadFilterSet(V3FilterSet):
    # Searched by filter_search, which adds the tag names.
    search_fields = ("customer_phone_number", "customer_name")
    company_id = CompanyIdFilter()
    state = django_filters.ChoiceFilter(choices=TextConversation.State.choices)
    lead_qualification = django_filters.ChoiceFilter(
        field_name="lead_status",
        choices=[(value, value) for value in (Call.LeadStatus.GOOD_LEAD, Call.LeadStatus.NOT_A_LEAD)],
    )
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = TextConversation
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """One term over the customer's number (any formatting: its digits) and name, and
        the thread's tag names."""
        term = value.strip()
        if not term:
            return qs
        through = TextConversation.tags.through
        tagged = through.objects.filter(textconversation_id=OuterRef("pk"), tag__name__icontains=term)
        condition = Q(customer_name__icontains=term) | Exists(tagged)
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 3:
            condition |= Q(customer_phone_number__contains=digits)
        return qs.filter(condition)


class SmsThreadViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "sms_threads"
    queryset = TextConversation.objects.all()
    serializer_class = SmsThreadSerializer
    filterset_class = SmsThreadFilterSet
    # Threads come newest message first, as conversations do.
    default_ordering = ("-last_message_at", "-id")
    sort_fields = {"last_message_at": "-last_message_at", "created_at": "-created_at"}
    # Reporting users qualify and tag text leads as they do calls (reference "User Roles").
    action_roles = {"update": ALL_ROLES, "partial_update": ALL_ROLES}
    http_method_names = ["get", "put", "head", "options"]
    lookup_value_regex = "[A-Za-z0-9]+"
    reference_extension = (
        "live CallRail serves SMS threads and clients use them (callrail-mcp's list_sms_threads, "
        "get_sms_thread, update_sms_thread). A thread is a text conversation seen as a lead, with the "
        "same id as in text-messages, and the lead fields notes, value, tags and lead_qualification."
    )

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related("company", "person", "initial_tracker", "current_tracker")
            .prefetch_related("tags")
        )

    def object_lookup(self, value: str) -> dict[str, Any]:
        # Thread ids are the conversations' short case-sensitive strings (``KZaGR``).
        return {"public_id": value}

    @extend_schema(
        parameters=[
            OpenApiParameter("date_range", str, description="recent, today, yesterday, last_7_days, ... all_time."),
            OpenApiParameter("start_date", str, description="YYYY-MM-DD (the last message's date)."),
            OpenApiParameter("end_date", str, description="YYYY-MM-DD (the last message's date)."),
            OpenApiParameter("search", str, description="Customer number or name, or a tag name."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if any(request.query_params.get(name) for name in ("date_range", "start_date", "end_date")):
            window = date_window(request.query_params, self.user)
            queryset = queryset.filter(**window.lookups("last_message_at"))
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        responses=SmsThreadDetailSerializer,
        parameters=[
            OpenApiParameter("page", int, description="Page of messages, from 1."),
            OpenApiParameter("per_page", int, description=f"Messages per page (at most {MAX_MESSAGES_PER_PAGE})."),
        ],
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        thread = self.get_object()
        body = dict(self.get_serializer(thread).data)
        messages = thread.messages.select_related("user").order_by("-created_at", "-id")
        per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_MESSAGES_PER_PAGE)
        page = positive_int(request.query_params.get("page"), 1)
        total = messages.count()
        rows = list(messages[(page - 1) * per_page : page * per_page])
        body.update(
            {
                "page": page,
                "per_page": per_page,
                "total_pages": math.ceil(total / per_page) if total else 0,
                "total_records": total,
                "messages": TextMessageSerializer(rows, many=True, context=self.get_serializer_context()).data,
            }
        )
        return Response(body)

    @extend_schema(request=SmsThreadUpdateInputSerializer, responses={200: SmsThreadSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from telephony.conversations import conversation_update

        thread = self.get_object()
        body = self.request_body()
        changes = {field: body[key] for key, field in UPDATE_FIELDS.items() if key in body}
        try:
            conversation_update(conversation=thread, changes=changes)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages[0]) from exc
        return self.render(self.get_queryset().get(pk=thread.pk))
