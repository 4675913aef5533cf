"""Text conversations and their messages (reference: "Text Messages").

Times are UTC, as the reference documents for this resource.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.phone import dashed
from api.v3 import formatting
from api.v3.serializers.base import TimestampField, V3Serializer
from telephony.models import TextConversation, TextMessage


def _blank(value: Any) -> Any:
    return value if value not in ("", None) else None


class RecentMessageSerializer(serializers.Serializer):
    direction = serializers.CharField(read_only=True)
    content = serializers.CharField(read_only=True)
    created_at = TimestampField()


class TextMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    content = serializers.CharField(read_only=True)
    created_at = TimestampField()
    status = serializers.CharField(read_only=True, allow_null=True)
    direction = serializers.CharField(read_only=True)
    user = serializers.SerializerMethodField()

    def get_user(self, message: TextMessage) -> dict[str, str] | None:
        if not message.user_id or message.user is None:
            return None
        return {"id": message.user.public_id, "name": message.user.name or message.user.email}


class TextConversationSerializer(V3Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    company_id = serializers.CharField(source="company.public_id", read_only=True)
    initial_tracker_id = serializers.SerializerMethodField()
    current_tracker_id = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    customer_phone_number = serializers.CharField(read_only=True)
    initial_tracking_number = serializers.CharField(read_only=True)
    current_tracking_number = serializers.CharField(read_only=True)
    last_message_at = TimestampField()
    state = serializers.CharField(read_only=True)
    company_time_zone = serializers.CharField(source="company.time_zone", read_only=True)
    formatted_customer_phone_number = serializers.SerializerMethodField()
    formatted_initial_tracking_number = serializers.SerializerMethodField()
    formatted_current_tracking_number = serializers.SerializerMethodField()
    formatted_customer_name = serializers.SerializerMethodField()
    recent_messages = serializers.SerializerMethodField()
    lead_status = serializers.SerializerMethodField()

    class Meta:
        extra_fields = ("lead_status",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A single conversation lists its messages in full instead of the two newest.
        if self.context.get("without_recent_messages"):
            self.fields.pop("recent_messages", None)

    def get_initial_tracker_id(self, conversation: TextConversation) -> str | None:
        tracker = conversation.initial_tracker if conversation.initial_tracker_id else None
        return tracker.public_id if tracker else None

    def get_current_tracker_id(self, conversation: TextConversation) -> str | None:
        tracker = conversation.current_tracker if conversation.current_tracker_id else None
        return tracker.public_id if tracker else None

    def get_customer_name(self, conversation: TextConversation) -> str | None:
        return _blank(conversation.customer_name)

    def get_formatted_customer_phone_number(self, conversation: TextConversation) -> str | None:
        return dashed(conversation.customer_phone_number)

    def get_formatted_initial_tracking_number(self, conversation: TextConversation) -> str | None:
        return dashed(conversation.initial_tracking_number)

    def get_formatted_current_tracking_number(self, conversation: TextConversation) -> str | None:
        return dashed(conversation.current_tracking_number)

    def get_formatted_customer_name(self, conversation: TextConversation) -> str | None:
        return formatting.name_formatted(conversation.customer_name)

    def get_recent_messages(self, conversation: TextConversation) -> list[dict[str, Any]]:
        recent = getattr(conversation, "recent", None)
        if recent is None:
            recent = list(conversation.messages.order_by("-created_at", "-id")[:2])
        return RecentMessageSerializer(recent[:2], many=True, context=self.context).data

    def get_lead_status(self, conversation: TextConversation) -> str | None:
        # A conversation only ever shows that its lead was scored good on another
        # interaction (the reference's enum: previously_marked_good_lead or null).
        return "previously_marked_good_lead" if conversation.has_good_lead() else None


class TextConversationStateInputSerializer(serializers.Serializer):
    """The body of ``PUT text-messages/{id}.json``: archive or reactivate a conversation."""

    state = serializers.ChoiceField(
        choices=TextConversation.State.choices,
        help_text="archived takes the conversation out of the inbox; a new text makes it active again.",
    )
