from rest_framework import serializers

from accounts.models import Account
from accounts.services import MAX_DATA_RETENTION_DAYS
from api.v3.serializers.base import V3ModelSerializer


class AccountSerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Account
        # data_retention_days is our extension (days calls, texts, forms and visits are kept; 0: forever).
        fields = ("id", "name", "outbound_recording_enabled", "hipaa_account", "numeric_id", "data_retention_days")
        extra_fields = ("numeric_id", "data_retention_days")


class AccountUpdateInputSerializer(serializers.Serializer):
    """``PUT /v3/a/{id}.json``: our extension, admins only. Omitted keys stay unchanged."""

    data_retention_days = serializers.IntegerField(required=False, min_value=0, max_value=MAX_DATA_RETENTION_DAYS)

    def validate(self, attrs: dict) -> dict:
        if "hipaa_account" in self.initial_data:
            # HIPAA mode is the installation operator's decision (manage.py set_hipaa).
            raise serializers.ValidationError({"hipaa_account": "is set by the operator of this installation"})
        return attrs
