import redis
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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
from tracking.pools import pool_status, pool_sync


class TrackingNumberInline(admin.TabularInline):
    model = TrackingNumber
    extra = 0
    fields = ("number", "status", "carrier_sid", "toll_free", "released_at")


@admin.register(Tracker)
class TrackerAdmin(admin.ModelAdmin):
    """Pools show their live sessions, size and how often they ran out (a pool that runs
    out loses attribution: every visitor beyond its size sees the fallback number)."""

    list_display = (
        "name",
        "public_id",
        "type",
        "status",
        "company",
        "pool_size",
        "pool_in_use",
        "exhaustion_count",
        "last_exhausted_at",
        "created_at",
    )
    list_filter = ("type", "status", "account")
    search_fields = ("name", "public_id")
    readonly_fields = (
        "public_id",
        "numeric_id",
        "exhaustion_count",
        "last_exhausted_at",
        "pool_live_sessions",
        "created_at",
        "updated_at",
    )
    inlines = (TrackingNumberInline,)
    actions = ("reload_pools",)

    @admin.display(description="Live sessions / numbers")
    def pool_in_use(self, obj: Tracker) -> str:
        if obj.type != Tracker.Type.SESSION:
            return "-"
        try:
            status = pool_status(obj)
        except redis.RedisError:
            return "Redis unavailable"
        if not status.loaded:
            return "not loaded yet"
        return f"{len(status.live_sessions)} / {status.size}"

    @admin.display(description="Pool right now")
    def pool_live_sessions(self, obj: Tracker) -> SafeString | str:
        if obj.type != Tracker.Type.SESSION or obj.pk is None:
            return "-"
        try:
            status = pool_status(obj)
        except redis.RedisError:
            return "Redis is unavailable."
        if not status.loaded:
            return "Not loaded into Redis yet (it is loaded on the first visit)."
        summary = format_html(
            "{} of {} numbers held by live sessions, {} free. Exhausted {} time(s){}.",
            len(status.live_sessions),
            status.size,
            status.free,
            obj.exhaustion_count,
            format_html(" (out of numbers since {})", status.exhausted_since) if status.exhausted_since else "",
        )
        if not status.live_sessions:
            return summary
        sessions_url = reverse("admin:tracking_visitorsession_changelist")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><a href='{}?q={}'>{}</a></td><td>{}</td></tr>",
            (
                (number, sessions_url, key, key, expiry.strftime("%Y-%m-%d %H:%M:%S UTC"))
                for number, key, expiry in status.live_sessions
            ),
        )
        return format_html(
            "{}<table><thead><tr><th>Number</th><th>Session</th><th>Held until</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            summary,
            rows,
        )

    @admin.action(description="Reload the selected pools from the database")
    def reload_pools(self, request: HttpRequest, queryset: QuerySet[Tracker]) -> None:
        trackers = list(queryset.select_related("company"))
        for tracker in trackers:
            pool_sync(tracker)
        self.message_user(request, f"Reloaded {len(trackers)} pool(s).", messages.SUCCESS)


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
