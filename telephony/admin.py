from django.contrib import admin

from telephony.models import Call, OutboundCallerId, SimulatedCarrierRequest, TextConversation, TextMessage


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
