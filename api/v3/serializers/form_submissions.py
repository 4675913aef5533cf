"""The form submission object (reference: "Listing All Form Submissions")."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from accounts.phone import dashed
from api.v3 import formatting, milestones
from api.v3.serializers.base import V3Serializer
from api.v3.serializers.calls import money
from integrations.v3_shapes import iso8601
from tracking.models import FormSubmission

DEFAULT_FIELDS = (
    "id",
    "company_id",
    "person_id",
    "form_data",
    "form_url",
    "landing_page_url",
    "referrer",
    "referring_url",
    "submitted_at",
    "first_form",
    "customer_phone_number",
    "customer_name",
    "customer_email",
    "formatted_customer_phone_number",
    "formatted_customer_name",
    "source",
    "keywords",
    "campaign",
    "medium",
)
EXTRA_FIELDS = (
    "company_name",
    "lead_status",
    "value",
    "note",
    "tags",
    *FormSubmission.UTM_FIELDS,
    "form_name",
    "timeline_url",
    "milestones",
)
# The create example answers with the first ten default fields only.
CREATE_RESPONSE_FIELDS = DEFAULT_FIELDS[:10]
# The update response table: the defaults without customer_email.
UPDATE_RESPONSE_FIELDS = tuple(f for f in DEFAULT_FIELDS if f != "customer_email")


def _blank(value: Any) -> Any:
    return value if value not in ("", None) else None


class FormSubmissionSerializer(V3Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    company_id = serializers.CharField(source="company.public_id", read_only=True)
    person_id = serializers.SerializerMethodField()
    form_data = serializers.JSONField(read_only=True)
    form_url = serializers.SerializerMethodField()
    landing_page_url = serializers.SerializerMethodField()
    referrer = serializers.SerializerMethodField()
    referring_url = serializers.SerializerMethodField()
    # "Server time when the form was submitted", printed in UTC like the examples.
    submitted_at = serializers.SerializerMethodField()
    first_form = serializers.BooleanField(read_only=True)
    customer_phone_number = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    customer_email = serializers.SerializerMethodField()
    formatted_customer_phone_number = serializers.SerializerMethodField()
    formatted_customer_name = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    keywords = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    medium = serializers.SerializerMethodField()

    company_name = serializers.CharField(source="company.name", read_only=True)
    lead_status = serializers.CharField(read_only=True, allow_null=True)
    value = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    utm_source = serializers.SerializerMethodField()
    utm_medium = serializers.SerializerMethodField()
    utm_campaign = serializers.SerializerMethodField()
    form_name = serializers.SerializerMethodField()
    timeline_url = serializers.SerializerMethodField()
    milestones = serializers.SerializerMethodField()

    class Meta:
        extra_fields = EXTRA_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        only = self.context.get("only_fields")
        if only:
            for name in list(self.fields):
                if name not in only:
                    self.fields.pop(name)

    def get_submitted_at(self, form: FormSubmission) -> str | None:
        return iso8601(form.submitted_at)

    def get_person_id(self, form: FormSubmission) -> str:
        # The reference prints "anonymous" for a submission with no known lead.
        return form.person.public_id if form.person_id and form.person else "anonymous"

    def get_form_url(self, form: FormSubmission) -> str | None:
        return _blank(form.form_url)

    def get_landing_page_url(self, form: FormSubmission) -> str | None:
        return _blank(form.landing_page_url)

    def get_referrer(self, form: FormSubmission) -> str | None:
        return _blank(form.referrer)

    def get_referring_url(self, form: FormSubmission) -> str | None:
        return _blank(form.referring_url)

    def get_customer_phone_number(self, form: FormSubmission) -> str | None:
        return _blank(form.customer_phone_number)

    def get_customer_name(self, form: FormSubmission) -> str | None:
        return _blank(form.customer_name)

    def get_customer_email(self, form: FormSubmission) -> str | None:
        return _blank(form.customer_email)

    def get_formatted_customer_phone_number(self, form: FormSubmission) -> str | None:
        return dashed(form.customer_phone_number)

    def get_formatted_customer_name(self, form: FormSubmission) -> str | None:
        return formatting.name_formatted(form.customer_name)

    def get_source(self, form: FormSubmission) -> str | None:
        return formatting.source_display(form.source or form.referrer)

    def get_keywords(self, form: FormSubmission) -> str | None:
        return _blank(form.keywords)

    def get_campaign(self, form: FormSubmission) -> str | None:
        return _blank(form.campaign or form.utm_campaign)

    def get_medium(self, form: FormSubmission) -> str | None:
        return _blank(form.medium)

    def get_value(self, form: FormSubmission) -> int | float | None:
        return money(form.value)

    def get_note(self, form: FormSubmission) -> str | None:
        return _blank(form.note)

    def get_tags(self, form: FormSubmission) -> list[str]:
        return sorted(tag.name for tag in form.tags.all())

    def get_utm_source(self, form: FormSubmission) -> str | None:
        return _blank(form.utm_source)

    def get_utm_medium(self, form: FormSubmission) -> str | None:
        return _blank(form.utm_medium)

    def get_utm_campaign(self, form: FormSubmission) -> str | None:
        return _blank(form.utm_campaign)

    def get_form_name(self, form: FormSubmission) -> str | None:
        return _blank(form.form_name)

    def get_timeline_url(self, form: FormSubmission) -> str | None:
        account = self.context.get("account") or form.account
        return formatting.timeline_url(account, form.person if form.person_id else None)

    def get_milestones(self, form: FormSubmission) -> dict[str, Any]:
        builder = self.context.get("milestones")
        if builder is None:
            zone = self.context.get("time_zone") or "UTC"
            builder = milestones.MilestoneBuilder([form], ZoneInfo(zone) if isinstance(zone, str) else zone)
        return builder.build(form)
