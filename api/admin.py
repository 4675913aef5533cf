from django.contrib import admin

from api.models import Integration, IntegrationTrigger


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "type", "state", "company", "account", "created_at")
    list_filter = ("type", "state", "account")


@admin.register(IntegrationTrigger)
class IntegrationTriggerAdmin(admin.ModelAdmin):
    list_display = ("numeric_id", "company", "integration", "call_type", "min_duration", "max_duration", "lead_status")
