from typing import Any

from rest_framework import serializers

from api.v3.serializers.base import RelatedIdField, V3ModelSerializer
from integrations.models import Notification

CALL_ALERT_NAMES = {
    "all": "All Calls",
    "first_call": "First-Time Calls",
    "missed_and_vm": "Missed Calls and Voicemails",
    "vm_only": "Voicemails",
    "answered": "Answered Calls",
}


NAME_FIELDS = ("agent_id", "agent_name", "company_name", "tracker_name")


class NotificationSerializer(V3ModelSerializer):
    """A notification as listed; create and update answers add the agent, company and
    tracker names (``NAME_FIELDS``), as the reference's examples do."""

    id = serializers.IntegerField(source="numeric_id", read_only=True)
    user_id = RelatedIdField(source="user")
    email = serializers.SerializerMethodField()
    company_id = RelatedIdField(source="company")
    name = serializers.SerializerMethodField()
    tracker_id = serializers.SerializerMethodField()
    agent_id = RelatedIdField(source="agent")
    agent_name = serializers.SerializerMethodField()
    company_name = serializers.SerializerMethodField()
    tracker_name = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = (
            "id",
            "user_id",
            "email",
            "alert_type",
            "call_enabled",
            "company_id",
            "name",
            "send_desktop",
            "send_email",
            "send_push",
            "sms_enabled",
            "tracker_id",
            *NAME_FIELDS,
        )
        read_only_fields = fields
        extra_fields = NAME_FIELDS

    def get_email(self, notification: Notification) -> str | None:
        return notification.email or None

    def get_tracker_id(self, notification: Notification) -> str | None:
        return notification.tracker_public_id or None

    def get_tracker_name(self, notification: Notification) -> str | None:
        names: dict[str, str] = self.context.get("tracker_names", {})
        return names.get(notification.tracker_public_id) if notification.tracker_public_id else None

    def get_company_name(self, notification: Notification) -> str | None:
        return notification.company.name if notification.company_id else None

    def get_agent_name(self, notification: Notification) -> str | None:
        return notification.agent.name or notification.agent.email if notification.agent_id else None

    def get_name(self, notification: Notification) -> str:
        """The rule described in words: "All Calls and All Texts for Widget Shop"."""
        parts = []
        if notification.call_enabled:
            parts.append(CALL_ALERT_NAMES.get(notification.alert_type, "All Calls"))
        if notification.sms_enabled:
            parts.append("All Texts")
        what = " and ".join(parts) or "No Alerts"
        scope = self.get_tracker_name(notification) or self.get_company_name(notification) or "All Companies"
        return f"{what} for {scope}"


class NotificationUpdateInputSerializer(serializers.Serializer):
    company_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    tracker_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    call_enabled = serializers.BooleanField(required=False)
    sms_enabled = serializers.BooleanField(required=False)
    alert_type = serializers.ChoiceField(choices=Notification.AlertType.choices, required=False)
    send_desktop = serializers.BooleanField(required=False)
    send_email = serializers.BooleanField(required=False)
    send_push = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Reference: alert_type is required when call_enabled is (set to) true.
        if attrs.get("call_enabled") is True and "alert_type" not in attrs:
            raise serializers.ValidationError({"alert_type": "is required when call_enabled is true"})
        return attrs


class NotificationCreateInputSerializer(NotificationUpdateInputSerializer):
    user_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    agent_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
