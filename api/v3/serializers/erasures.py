from rest_framework import serializers

from api.v3.serializers.base import RelatedIdField, TimestampField, V3ModelSerializer
from privacy.models import Erasure


class ErasureSerializer(V3ModelSerializer):
    """An erasure and its log: who asked, when, and how many rows of each kind were erased.
    The phone number and email are never shown (they are blanked once it completes)."""

    id = serializers.CharField(source="public_id", read_only=True)
    requested_by = RelatedIdField(read_only=True)
    created_at = TimestampField()
    started_at = TimestampField()
    completed_at = TimestampField()
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Erasure
        fields = (
            "id",
            "status",
            "by_phone_number",
            "by_email",
            "requested_by",
            "requested_via",
            "created_at",
            "started_at",
            "completed_at",
            "counts",
            "error",
        )
        read_only_fields = fields


class ErasureCreateInputSerializer(serializers.Serializer):
    phone_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=255, required=False, allow_blank=True)
