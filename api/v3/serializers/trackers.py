"""The tracker object (reference: "Trackers"). Times are UTC, as documented."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.phone import is_us_or_canada
from api.v3.serializers.base import TimestampField, V3Serializer
from telephony.callflows import fallback_destination
from tracking.models import Tracker, TrackingNumber


def active_numbers(tracker: Tracker) -> list[TrackingNumber]:
    # Uses the prefetched numbers when the list view loaded them.
    return sorted(
        (n for n in tracker.numbers.all() if n.status == TrackingNumber.Status.ACTIVE),
        key=lambda n: (n.created_at, n.pk),
    )


class TrackerSerializer(V3Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    destination_number = serializers.SerializerMethodField()
    tracking_numbers = serializers.SerializerMethodField()
    whisper_message = serializers.SerializerMethodField()
    sms_enabled = serializers.BooleanField(read_only=True)
    sms_supported = serializers.SerializerMethodField()
    company = serializers.SerializerMethodField()
    call_flow = serializers.SerializerMethodField()
    source = serializers.JSONField(read_only=True)
    created_at = TimestampField()
    disabled_at = TimestampField()
    campaign_name = serializers.SerializerMethodField()
    swap_targets = serializers.JSONField(read_only=True)

    class Meta:
        extra_fields = ("campaign_name", "swap_targets")

    def get_destination_number(self, tracker: Tracker) -> str | None:
        return fallback_destination(tracker.call_flow.definition)

    def get_tracking_numbers(self, tracker: Tracker) -> list[str]:
        return [n.number for n in active_numbers(tracker)]

    def get_whisper_message(self, tracker: Tracker) -> str | None:
        return tracker.whisper_message or None

    def get_sms_supported(self, tracker: Tracker) -> bool:
        # Texting works on local US and Canadian numbers only.
        numbers = active_numbers(tracker)
        return bool(numbers) and all(is_us_or_canada(n.number) and not n.toll_free for n in numbers)

    def get_company(self, tracker: Tracker) -> dict[str, str]:
        return {"id": tracker.company.public_id, "name": tracker.company.name}

    def get_call_flow(self, tracker: Tracker) -> dict[str, Any]:
        definition = dict(tracker.call_flow.definition or {})
        if definition.get("type") == "advanced":
            definition.setdefault("uuid", str(tracker.call_flow.uuid))
        return definition

    def get_campaign_name(self, tracker: Tracker) -> str | None:
        return tracker.campaign_name or None
