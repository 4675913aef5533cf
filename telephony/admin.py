from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from telephony.callflows.validation import call_flow_validate
from telephony.models import (
    Call,
    CallAccess,
    OutboundCallerId,
    SimulatedCarrierRequest,
    TextConversation,
    TextMessage,
)
from tracking.admin import CallFlowAdmin as TrackingCallFlowAdmin
from tracking.models import CallFlow


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "start_time",
        "direction",
        "customer_phone_number",
        "tracking_phone_number",
        "source",
        "status",
        "duration",
        "answered",
        "company",
    )
    list_filter = ("direction", "status", "answered", "voicemail", "spam", "account")
    search_fields = ("public_id", "call_sid", "customer_phone_number", "tracking_phone_number", "customer_name")
    readonly_fields = ("public_id", "numeric_id", "call_sid", "created_at", "updated_at")
    date_hierarchy = "start_time"


class TextMessageInline(admin.TabularInline):
    model = TextMessage
    extra = 0
    fields = ("direction", "content", "status", "created_at")
    readonly_fields = ("created_at",)


@admin.register(TextConversation)
class TextConversationAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "company",
        "customer_phone_number",
        "current_tracking_number",
        "state",
        "last_message_at",
    )
    list_filter = ("state", "account")
    inlines = (TextMessageInline,)


@admin.register(OutboundCallerId)
class OutboundCallerIdAdmin(admin.ModelAdmin):
    list_display = ("name", "phone_number", "company", "verified", "created_at")


@admin.register(SimulatedCarrierRequest)
class SimulatedCarrierRequestAdmin(admin.ModelAdmin):
    """What the simulated carrier would have sent: numbers bought, calls placed, texts sent."""

    list_display = ("created_at", "action", "number", "sid")
    list_filter = ("action",)
    search_fields = ("sid", "number")
    readonly_fields = ("created_at", "action", "sid", "number", "payload")


@admin.register(CallAccess)
class CallAccessAdmin(admin.ModelAdmin):
    """HIPAA accounts' audit trail: who read which call's details or recording, when, from where."""

    list_display = ("created_at", "account", "call_public_id", "what", "user", "ip_address")
    list_filter = ("what", "account")
    search_fields = ("call_public_id", "user__email")
    list_select_related = ("account", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CallAccess | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CallAccess | None = None) -> bool:
        return False


class CallFlowForm(forms.ModelForm):
    """Call flows are validated (and normalised) when saved: every step reachable, no
    dangling ids, numbers in E.164. The admin is where advanced flows are built."""

    def clean_definition(self) -> dict:
        try:
            return call_flow_validate(self.cleaned_data.get("definition"))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


# tracking registers the CallFlow admin; the validation of flows lives here, with the
# code that runs them (tracking does not import telephony): the same admin, with this form.
if admin.site.is_registered(CallFlow):
    admin.site.unregister(CallFlow)


@admin.register(CallFlow)
class CallFlowAdmin(TrackingCallFlowAdmin):
    form = CallFlowForm
