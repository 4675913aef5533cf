"""Request bodies of the operations whose views read the JSON body themselves (their rules
live in the services): these serializers only describe the bodies in the OpenAPI document."""

from rest_framework import serializers

LEAD_STATUSES = ("good_lead", "not_a_lead")


class CallCreateRequestSerializer(serializers.Serializer):
    caller_id = serializers.CharField(help_text="One of your tracking numbers or a verified outbound caller id.")
    customer_phone_number = serializers.CharField()
    business_phone_number = serializers.CharField()
    company_id = serializers.CharField(required=False)
    recording_enabled = serializers.BooleanField(required=False)
    outbound_greeting_text = serializers.CharField(required=False)
    outbound_greeting_recording_url = serializers.CharField(required=False)
    agent_id = serializers.CharField(required=False)


class LeadUpdateRequestSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    append_tags = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    value = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    lead_status = serializers.ChoiceField(choices=LEAD_STATUSES, required=False, allow_null=True)


class FormSubmissionCreateRequestSerializer(serializers.Serializer):
    company_id = serializers.CharField()
    referrer = serializers.CharField()
    referring_url = serializers.CharField()
    landing_page_url = serializers.CharField()
    form_url = serializers.CharField()
    form_data = serializers.DictField()


class IgnoredFieldsRequestSerializer(serializers.Serializer):
    company_ids = serializers.ListField(child=serializers.CharField(), help_text='Company ids, or ["all"].')
    field_names = serializers.ListField(child=serializers.CharField())


class TextMessageCreateRequestSerializer(serializers.Serializer):
    company_id = serializers.CharField()
    customer_phone_number = serializers.CharField()
    content = serializers.CharField()
    tracking_number = serializers.CharField(required=False)
