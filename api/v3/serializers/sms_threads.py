"""SMS threads: a text conversation seen as a lead, with the marketer's fields (an
extension: live CallRail serves ``sms-threads`` and callrail-mcp uses it, though the v3
reference does not list it). A thread is one of our text conversations, with the same
id; ``text-messages/{id}.json`` shows the same conversation as a transcript.

Times are UTC, as for text messages.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.phone import dashed
from api.v3 import formatting
from api.v3.serializers.base import RelatedIdField, TimestampField, V3Serializer
from api.v3.serializers.calls import money
from telephony.models import TextConversation


def _blank(value: Any) -> Any:
    return value if value not in ("", None) else None


class SmsThreadSerializer(V3Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    company_id = RelatedIdField(source="company")
    company_name = serializers.CharField(source="company.name", read_only=True)
    person_id = RelatedIdField(source="person")
    customer_name = serializers.SerializerMethodField()
    customer_phone_number = serializers.CharField(read_only=True)
    initial_tracker_id = RelatedIdField(source="initial_tracker")
    current_tracker_id = RelatedIdField(source="current_tracker")
    initial_tracking_number = serializers.CharField(read_only=True)
    current_tracking_number = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=TextConversation.State.choices, read_only=True)
    notes = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    lead_qualification = serializers.SerializerMethodField()
    created_at = TimestampField()
    last_message_at = TimestampField()
    formatted_customer_phone_number = serializers.SerializerMethodField()
    formatted_initial_tracking_number = serializers.SerializerMethodField()
    formatted_current_tracking_number = serializers.SerializerMethodField()
    formatted_customer_name = serializers.SerializerMethodField()

    class Meta:
        extra_fields = (
            "last_message_at",
            "formatted_customer_phone_number",
            "formatted_initial_tracking_number",
            "formatted_current_tracking_number",
            "formatted_customer_name",
        )

    def get_customer_name(self, thread: TextConversation) -> str | None:
        return _blank(thread.customer_name)

    def get_notes(self, thread: TextConversation) -> str | None:
        return _blank(thread.note)

    def get_value(self, thread: TextConversation) -> int | float | None:
        return money(thread.value)

    def get_tags(self, thread: TextConversation) -> list[str]:
        return sorted(tag.name for tag in thread.tags.all())

    def get_lead_qualification(self, thread: TextConversation) -> str | None:
        return thread.lead_status

    def get_formatted_customer_phone_number(self, thread: TextConversation) -> str | None:
        return dashed(thread.customer_phone_number)

    def get_formatted_initial_tracking_number(self, thread: TextConversation) -> str | None:
        return dashed(thread.initial_tracking_number)

    def get_formatted_current_tracking_number(self, thread: TextConversation) -> str | None:
        return dashed(thread.current_tracking_number)

    def get_formatted_customer_name(self, thread: TextConversation) -> str | None:
        return formatting.name_formatted(thread.customer_name)


class SmsThreadDetailSerializer(SmsThreadSerializer):
    """One thread with a page of its messages, newest first (for the OpenAPI description)."""

    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    total_records = serializers.IntegerField()
    messages = serializers.ListField(child=serializers.DictField())


class SmsThreadUpdateInputSerializer(serializers.Serializer):
    """The body of ``PUT sms-threads/{id}.json``. Keys left out stay as they are; null or
    "" clears."""

    notes = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    value = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text='"$5.00" or "5.00".')
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, allow_null=True)
    append_tags = serializers.BooleanField(
        required=False, allow_null=True, help_text="true adds the tags to the thread's; otherwise they replace them."
    )
    lead_qualification = serializers.ChoiceField(
        choices=["good_lead", "not_a_lead"], required=False, allow_null=True, allow_blank=True
    )
    state = serializers.ChoiceField(
        choices=TextConversation.State.choices, required=False, help_text="Archive the thread, or make it active."
    )
