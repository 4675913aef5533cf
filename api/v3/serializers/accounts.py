from rest_framework import serializers

from accounts.models import Account
from api.v3.serializers.base import V3ModelSerializer


class AccountSerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Account
        fields = ("id", "name", "outbound_recording_enabled", "hipaa_account", "numeric_id")
        extra_fields = ("numeric_id",)
