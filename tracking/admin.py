from django.contrib import admin

from tracking.models import (
    CallFlow,
    FormSubmission,
    NumberAssignment,
    PageView,
    Person,
    Tracker,
    TrackingNumber,
    VisitorSession,
)


class TrackingNumberInline(admin.TabularInline):
    model = TrackingNumber
    extra = 0
    fields = ("number", "status", "carrier_sid", "toll_free", "released_at")


@admin.register(Tracker)
class TrackerAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "type", "status", "company", "pool_size", "exhaustion_count", "created_at")
    list_filter = ("type", "status", "account")
    search_fields = ("name", "public_id")
    readonly_fields = ("public_id", "numeric_id", "exhaustion_count", "created_at", "updated_at")
    inlines = (TrackingNumberInline,)


@admin.register(CallFlow)
class CallFlowAdmin(admin.ModelAdmin):
    list_display = ("uuid", "name", "company", "account", "created_at")
    list_filter = ("account",)


@admin.register(TrackingNumber)
class TrackingNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "tracker", "status", "carrier_sid", "account")
    list_filter = ("status", "account")
    search_fields = ("number",)


@admin.register(VisitorSession)
class VisitorSessionAdmin(admin.ModelAdmin):
    list_display = (
        "session_key",
        "company",
        "tracker",
        "source",
        "medium",
        "landing_url",
        "created_at",
        "last_seen_at",
    )
    list_filter = ("source", "device_type", "account")
    search_fields = ("session_key", "visitor_id", "landing_url")


@admin.register(PageView)
class PageViewAdmin(admin.ModelAdmin):
    list_display = ("page_url", "session", "created_at")


@admin.register(NumberAssignment)
class NumberAssignmentAdmin(admin.ModelAdmin):
    list_display = ("tracking_number", "session", "tracker", "started_at", "expires_at", "ended_at")
    list_filter = ("tracker",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("public_id", "name", "phone_number", "email", "company", "created_at")
    search_fields = ("name", "phone_number", "email")


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin):
    list_display = ("public_id", "company", "form_url", "source", "submitted_at", "first_form")
    list_filter = ("source", "account")
