"""The tracker object (reference: "Trackers"). Times are UTC, as documented."""

from __future__ import annotations

import logging
from typing import Any

import redis
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.phone import is_us_or_canada
from api.v3.serializers.base import TimestampField, V3Serializer
from integrations.v3_shapes import iso8601
from telephony.callflows.validation import fallback_destination
from telephony.trackers import POOL_SIZE_MAX, POOL_SIZE_MIN, SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN
from tracking.models import Tracker, TrackingNumber
from tracking.pools import pool_status

logger = logging.getLogger(__name__)


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
    session_timeout = serializers.SerializerMethodField(
        help_text="Extension. Session trackers: seconds a visitor keeps a pool number after their last "
        "activity (null for source trackers)."
    )
    fallback_number = serializers.SerializerMethodField(
        help_text="Extension. Session trackers: the number shown when every pool number is held "
        "(E.164; null keeps the page's own number)."
    )
    pool = serializers.SerializerMethodField()

    class Meta:
        # Extensions: `session_timeout` and `fallback_number` (a session tracker's pool
        # settings), and `pool`, the live state of its number pool, so users can see when
        # it is too small. All null for source trackers.
        extra_fields = ("campaign_name", "swap_targets", "session_timeout", "fallback_number", "pool")

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

    def get_session_timeout(self, tracker: Tracker) -> int | None:
        return tracker.session_timeout if tracker.type == Tracker.Type.SESSION else None

    def get_fallback_number(self, tracker: Tracker) -> str | None:
        return (tracker.fallback_number or None) if tracker.type == Tracker.Type.SESSION else None

    def get_campaign_name(self, tracker: Tracker) -> str | None:
        return tracker.campaign_name or None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_pool(self, tracker: Tracker) -> dict[str, Any] | None:
        if tracker.type != Tracker.Type.SESSION:
            return None
        zone = self.context.get("time_zone")
        pool: dict[str, Any] = {
            "size": tracker.pool_size,
            "numbers": len(active_numbers(tracker)),
            "session_timeout": tracker.session_timeout,
            "fallback_number": tracker.fallback_number or None,
            "exhaustion_count": tracker.exhaustion_count,
            "last_exhausted_at": iso8601(tracker.last_exhausted_at, zone),
            "free": None,
            "live_sessions": None,
            "exhausted_since": None,
            "sessions": [],
        }
        try:
            status = pool_status(tracker)
        except redis.RedisError:
            # The durable fields above still answer; live ones need Redis.
            logger.warning("pool status unavailable for %s", tracker.public_id, exc_info=True)
            return pool
        pool.update(
            free=status.free,
            live_sessions=len(status.live_sessions),
            exhausted_since=iso8601(status.exhausted_since, zone),
            sessions=[
                {"tracking_number": number, "session_id": session, "expires_at": iso8601(expires, zone)}
                for number, session, expires in status.live_sessions
            ],
        )
        return pool


# The request bodies, for the OpenAPI description. The tracker service checks every field
# itself (telephony/trackers.py), so the dashboard's wizard and the API refuse the same input.


class TrackerCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=Tracker.Type.choices)
    company_id = serializers.CharField(help_text="The company's COM… or numeric id.")
    call_flow = serializers.JSONField(help_text="See the reference's Configuring Call Flows.")
    source = serializers.JSONField(help_text='"all" or an object of rules (reference: Tracker Call Sources).')
    pool_size = serializers.IntegerField(
        required=False,
        min_value=POOL_SIZE_MIN,
        max_value=POOL_SIZE_MAX,
        help_text="Session trackers: how many numbers to buy.",
    )
    pool_numbers = serializers.JSONField(required=False, help_text="Session trackers: a number request.")
    tracking_number = serializers.JSONField(required=False, help_text="Source trackers: a number request.")
    swap_targets = serializers.ListField(child=serializers.CharField(), required=False)
    whisper_message = serializers.CharField(required=False, allow_blank=True, max_length=255)
    sms_enabled = serializers.BooleanField(required=False)
    campaign_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    session_timeout = serializers.IntegerField(
        required=False,
        min_value=SESSION_TIMEOUT_MIN,
        max_value=SESSION_TIMEOUT_MAX,
        help_text="Extension. Session trackers: seconds a visitor keeps a pool number after their last activity "
        "(default 1800).",
    )
    fallback_number = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Extension. Session trackers: the number shown when every pool number is held; null keeps the "
        "page's own number.",
    )


class TrackerUpdateInputSerializer(serializers.Serializer):
    """Every key optional; omitted keys stay unchanged."""

    name = serializers.CharField(required=False, max_length=255)
    call_flow = serializers.JSONField(required=False)
    source = serializers.JSONField(required=False)
    pool_size = serializers.IntegerField(
        required=False,
        min_value=POOL_SIZE_MIN,
        max_value=POOL_SIZE_MAX,
        help_text="Session trackers: the pool only grows.",
    )
    replace_tracking_number = serializers.CharField(
        required=False, help_text="One of the tracker's numbers, swapped for a new one of the same kind."
    )
    swap_targets = serializers.ListField(child=serializers.CharField(), required=False)
    whisper_message = serializers.CharField(required=False, allow_blank=True, max_length=255)
    sms_enabled = serializers.BooleanField(required=False)
    campaign_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    session_timeout = serializers.IntegerField(
        required=False,
        min_value=SESSION_TIMEOUT_MIN,
        max_value=SESSION_TIMEOUT_MAX,
        help_text="Extension. Session trackers: seconds a visitor keeps a pool number after their last activity.",
    )
    fallback_number = serializers.CharField(
        required=False, allow_null=True, help_text="Extension. Session trackers: E.164, or null for none."
    )
