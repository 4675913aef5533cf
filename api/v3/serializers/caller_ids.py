from rest_framework import serializers

from accounts.phone import to_e164
from api.v3.serializers.base import RelatedIdField, TimestampField, V3ModelSerializer
from telephony.models import OutboundCallerId


class CallerIdSerializer(V3ModelSerializer):
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    company_id = RelatedIdField(source="company")
    created_at = TimestampField()

    class Meta:
        model = OutboundCallerId
        # phone_number is E.164 (the create example's "19042223344" is not; checklist §5 #33).
        fields = ("id", "phone_number", "name", "company_id", "verified", "created_at", "validation_code")
        read_only_fields = fields


class CallerIdCreateInputSerializer(serializers.Serializer):
    # The reference sends the company id as an integer in its example.
    company_id = serializers.CharField()
    phone_number = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=255)

    def validate_phone_number(self, value: str) -> str:
        try:
            return to_e164(value)
        except Exception as exc:
            raise serializers.ValidationError(f"'{value}' is not a valid phone number") from exc
