"""Text messages: list conversations, show one with its messages, send a text
(reference: "Text Messages"), and archive a conversation or make it active again
(``PUT text-messages/{id}.json`` with ``{"state": "archived"}``, as pycallrail's
``archive()`` sends; the reference lists ``state`` without documenting how it is set).
"""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3.dates import date_window
from api.v3.filters import CompanyIdFilter, V3FilterSet
from api.v3.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, positive_int
from api.v3.serializers.requests import TextMessageCreateRequestSerializer
from api.v3.serializers.text_messages import (
    TextConversationSerializer,
    TextConversationStateInputSerializer,
    TextMessageSerializer,
)
from api.v3.viewsets import ALL_ROLES, V3ViewSet
from telephony.models import TextConversation, TextMessage
from telephony.services.texts import text_message_send


class TextConversationFilterSet(V3FilterSet):
    search_fields = ("customer_phone_number", "customer_name")
    company_id = CompanyIdFilter()
    # Extension: active or archived conversations only (both are listed without it).
    state = django_filters.ChoiceFilter(
        choices=TextConversation.State.choices, help_text="Extension: only active, or only archived, conversations."
    )

    class Meta:
        model = TextConversation
        fields: list[str] = []


def _recent_messages() -> Prefetch:
    # The two newest messages of every conversation on the page, in one query.
    ranked = TextMessage.objects.annotate(
        rank=Window(RowNumber(), partition_by="conversation_id", order_by=("-created_at", "-id"))
    ).filter(rank__lte=2)
    return Prefetch("messages", queryset=ranked.order_by("-created_at", "-id"), to_attr="recent")


class TextMessageViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "conversations"
    queryset = TextConversation.objects.all()
    serializer_class = TextConversationSerializer
    filterset_class = TextConversationFilterSet
    # Conversations come newest message first (reference).
    default_ordering = ("-last_message_at", "-id")
    throttle_scopes = {"create": "sms"}
    # Reporting users text customers and tidy the inbox (reference "User Roles": texts).
    action_roles = {"create": ALL_ROLES, "update": ALL_ROLES}
    http_method_names = ["get", "post", "put", "head", "options"]
    lookup_value_regex = "[A-Za-z0-9]+"

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().select_related("company", "initial_tracker", "current_tracker")
        if "lead_status" in self.requested_fields():
            queryset = queryset.with_good_lead()
        return queryset

    def object_lookup(self, value: str) -> dict[str, Any]:
        # Conversation ids are short case-sensitive strings (``KZaGR``).
        return {"public_id": value}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if any(request.query_params.get(name) for name in ("date_range", "start_date", "end_date")):
            window = date_window(request.query_params, self.user, account=self.account)
            queryset = queryset.filter(Q(**window.lookups("last_message_at")))
        queryset = queryset.prefetch_related(_recent_messages())
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation = self.get_object()
        body = dict(
            self.get_serializer(
                conversation, context={**self.get_serializer_context(), "without_recent_messages": True}
            ).data
        )
        messages = conversation.messages.select_related("user").order_by("-created_at", "-id")
        per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
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

    @extend_schema(request=TextMessageCreateRequestSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.request_body()
        company = self.company_param(body.get("company_id"), include_disabled=False)
        for name in ("customer_phone_number", "content"):
            if body.get(name) in (None, ""):
                raise exceptions.ValidationError(f"{name} is required")
        tracking_number = body.get("tracking_number")
        conversation = text_message_send(
            account=self.account,
            company=company,
            customer_phone_number=str(body["customer_phone_number"]),
            content=body["content"],
            tracking_number=str(tracking_number) if tracking_number not in (None, "") else None,
            user=self.user,
        )
        conversation = (
            TextConversation.objects.select_related("company", "initial_tracker", "current_tracker")
            .prefetch_related(_recent_messages())
            .get(pk=conversation.pk)
        )
        return Response(self.get_serializer(conversation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TextConversationStateInputSerializer,
        responses={200: TextConversationSerializer},
        description=(
            "Extension, not in CallRail's v3 reference (which lists a conversation's state without saying "
            "how it is set): archive a conversation or make it active again, as pycallrail's archive() does. "
            "A new text makes an archived conversation active again."
        ),
        extensions={"x-reference-extension": True},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Archive a conversation (``"state": "archived"``) or make it active again."""
        from telephony.conversations import conversation_state_set

        conversation = self.get_object()
        body = self.request_body()
        if "state" not in body:
            raise exceptions.ValidationError("state is required (active or archived)")
        try:
            conversation_state_set(conversation=conversation, state=body["state"])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages[0]) from exc
        conversation = self.get_queryset().prefetch_related(_recent_messages()).get(pk=conversation.pk)
        return Response(self.get_serializer(conversation).data)
