from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import (
    CallConversion,
    ConversionDelivery,
    ConversionSettings,
    Integration,
    IntegrationTrigger,
    Notification,
    SummaryEmail,
    WebhookDelivery,
    WebhookEvent,
)
from integrations.webhooks.delivery import webhook_event_redeliver


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "type", "state", "company", "account", "created_at")
    list_filter = ("type", "state", "account")


@admin.register(IntegrationTrigger)
class IntegrationTriggerAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "company", "integration", "call_type", "min_duration", "max_duration", "lead_status")


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("attempt", "created_at", "status_code", "success", "latency_ms", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "event", "state", "attempts", "url", "company", "created_at", "finished_at")
    list_filter = ("state", "event", "account")
    search_fields = ("event_id", "ordering_key", "url")
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]
    inlines = (WebhookDeliveryInline,)
    actions = ("redeliver",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected finished events again (same event id)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        count = 0
        for event in queryset:
            if event.is_finished:
                webhook_event_redeliver(event=event)
                count += 1
        self.message_user(request, f"{count} event(s) queued for delivery.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "webhook_event", "attempt", "status_code", "success", "latency_ms", "created_at")
    list_filter = ("success", "account")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "user", "email", "company", "alert_type", "send_email", "call_enabled", "sms_enabled")
    list_filter = ("alert_type", "account")


@admin.register(SummaryEmail)
class SummaryEmailAdmin(admin.ModelAdmin):
    list_display = ("public_id", "user", "email", "company", "frequency", "account")
    list_filter = ("account",)


@admin.register(ConversionSettings)
class ConversionSettingsAdmin(admin.ModelAdmin):
    list_display = ("company", "enabled", "name", "min_duration", "ga4_measurement_id", "google_ads_customer_id")
    list_filter = ("enabled", "account")
    # Credentials are set through the API; the admin never shows them.
    exclude = ("feed_token", "ga4_api_secret", "google_ads_developer_token", "google_ads_refresh_token")


class ConversionDeliveryInline(admin.TabularInline):
    model = ConversionDelivery
    extra = 0
    can_delete = False
    fields = ("destination", "status", "attempts", "reason", "last_attempt_at", "sent_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CallConversion)
class CallConversionAdmin(admin.ModelAdmin):
    list_display = ("call", "company", "name", "converted_at", "value", "click_id_type", "no_longer_qualifies_at")
    list_filter = ("click_id_type", "account")
    readonly_fields = [field.name for field in CallConversion._meta.fields]
    inlines = (ConversionDeliveryInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ConversionDelivery)
class ConversionDeliveryAdmin(admin.ModelAdmin):
    list_display = ("conversion", "destination", "status", "attempts", "last_attempt_at", "sent_at")
    list_filter = ("destination", "status")
    readonly_fields = [field.name for field in ConversionDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
