"""Leads (an extension: live CallRail serves ``leads`` and callrail-mcp uses them,
though the v3 reference does not list them): our people, one per customer of a company
however many times they called, texted or filled in a form, and the timeline of those
interactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.phone import dashed
from api.v3 import formatting
from api.v3.serializers.base import RelatedIdField, TimestampField, V3Serializer, iso8601
from telephony.models import Call, TextMessage
from tracking.models import FormSubmission, Person

ENTRY_TYPES = ("call", "form_submission", "text_message")


def _blank(value: Any) -> Any:
    return value if value not in ("", None) else None


class LeadSerializer(V3Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    company_id = RelatedIdField(source="company")
    company_name = serializers.CharField(source="company.name", read_only=True)
    created_at = TimestampField()
    formatted_phone = serializers.SerializerMethodField()
    formatted_name = serializers.SerializerMethodField()

    class Meta:
        extra_fields = ("formatted_phone", "formatted_name")

    def get_name(self, person: Person) -> str | None:
        return _blank(person.name)

    def get_phone(self, person: Person) -> str | None:
        return _blank(person.phone_number)

    def get_email(self, person: Person) -> str | None:
        return _blank(person.email)

    def get_formatted_phone(self, person: Person) -> str | None:
        return dashed(person.phone_number)

    def get_formatted_name(self, person: Person) -> str | None:
        return formatting.name_formatted(person.name)


class TimelineEntrySerializer(serializers.Serializer):
    """One interaction. Every entry has every key; those that do not apply to its type
    are null (a text has no duration, a form no direction)."""

    type = serializers.SerializerMethodField()
    id = serializers.SerializerMethodField()
    occurred_at = serializers.SerializerMethodField()
    direction = serializers.SerializerMethodField()
    duration = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()
    voicemail = serializers.SerializerMethodField()
    content = serializers.SerializerMethodField()
    conversation_id = serializers.SerializerMethodField()
    form_name = serializers.SerializerMethodField()
    form_url = serializers.SerializerMethodField()
    tracking_phone_number = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    medium = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    landing_page_url = serializers.SerializerMethodField()
    lead_status = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": list(ENTRY_TYPES)})
    def get_type(self, row: Any) -> str:
        if isinstance(row, Call):
            return "call"
        if isinstance(row, FormSubmission):
            return "form_submission"
        return "text_message"

    @extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    def get_id(self, row: Any) -> str | int:
        return row.numeric_id if isinstance(row, TextMessage) else row.public_id

    def get_occurred_at(self, row: Any) -> str | None:
        return iso8601(entry_time(row), self.context.get("time_zone"))

    def get_direction(self, row: Any) -> str | None:
        return row.direction if isinstance(row, (Call, TextMessage)) else None

    def get_duration(self, row: Any) -> int | None:
        return row.duration if isinstance(row, Call) else None

    def get_answered(self, row: Any) -> bool | None:
        return bool(row.answered) if isinstance(row, Call) else None

    def get_voicemail(self, row: Any) -> bool | None:
        return row.voicemail if isinstance(row, Call) else None

    def get_content(self, row: Any) -> str | None:
        return row.content if isinstance(row, TextMessage) else None

    def get_conversation_id(self, row: Any) -> str | None:
        return row.conversation.public_id if isinstance(row, TextMessage) else None

    def get_form_name(self, row: Any) -> str | None:
        return _blank(row.form_name) if isinstance(row, FormSubmission) else None

    def get_form_url(self, row: Any) -> str | None:
        return _blank(row.form_url) if isinstance(row, FormSubmission) else None

    def get_tracking_phone_number(self, row: Any) -> str | None:
        if isinstance(row, Call):
            return row.tracking_phone_number
        if isinstance(row, TextMessage):
            return row.conversation.current_tracking_number
        return None

    def get_source(self, row: Any) -> str | None:
        if isinstance(row, Call):
            return formatting.source_display(row.source)
        if isinstance(row, FormSubmission):
            return formatting.source_display(row.source or row.referrer)
        return None

    def get_medium(self, row: Any) -> str | None:
        return _blank(row.medium) if isinstance(row, (Call, FormSubmission)) else None

    def get_campaign(self, row: Any) -> str | None:
        return _blank(row.campaign) if isinstance(row, (Call, FormSubmission)) else None

    def get_landing_page_url(self, row: Any) -> str | None:
        return _blank(row.landing_page_url) if isinstance(row, (Call, FormSubmission)) else None

    def get_lead_status(self, row: Any) -> str | None:
        return row.lead_status if isinstance(row, (Call, FormSubmission)) else None


def entry_time(row: Any) -> datetime:
    if isinstance(row, Call):
        return row.start_time
    if isinstance(row, FormSubmission):
        return row.submitted_at
    return row.created_at


class TouchSerializer(serializers.Serializer):
    """The first or last interaction that carried marketing attribution (a call or a form)."""

    type = serializers.ChoiceField(choices=("call", "form_submission"))
    id = serializers.CharField()
    occurred_at = serializers.CharField()
    source = serializers.CharField(allow_null=True)
    medium = serializers.CharField(allow_null=True)
    campaign = serializers.CharField(allow_null=True)
    landing_page_url = serializers.CharField(allow_null=True)
    referring_url = serializers.CharField(allow_null=True)


class LeadTimelineSerializer(serializers.Serializer):
    """The shape of ``leads/{id}/timeline.json`` (for the OpenAPI description)."""

    lead = LeadSerializer()
    first_touch = TouchSerializer(allow_null=True)
    last_touch = TouchSerializer(allow_null=True)
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    total_records = serializers.IntegerField()
    timeline = TimelineEntrySerializer(many=True)
