from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Account, ApiKey, AuditEvent, Company, Tag, User
from accounts.services import api_key_revoke


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "public_id",
        "numeric_id",
        "time_zone",
        "hipaa_account",
        "data_retention_days",
        "created_at",
    )
    search_fields = ("name", "public_id", "numeric_id")
    readonly_fields = ("public_id", "numeric_id", "created_at", "updated_at")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role", "account", "is_active")
    list_filter = ("role", "is_active", "account")
    search_fields = ("email", "first_name", "last_name", "public_id")
    readonly_fields = ("public_id", "numeric_id", "created_at", "last_login")
    filter_horizontal = ("companies", "groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id", "numeric_id")}),
        ("Profile", {"fields": ("account", "first_name", "last_name", "role", "companies", "time_zone", "accepted")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "account", "role", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "account", "created_at", "last_used_at", "revoked_at")
    list_filter = ("account",)
    search_fields = ("prefix", "name", "user__email")
    # The digest is useless to a reader and the plain key is never stored: keys are made
    # by their users on the dashboard's API keys page (or `manage.py bootstrap_admin`), and only revoked here.
    readonly_fields = ("prefix", "digest", "user", "account", "created_at", "last_used_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        # One by one through the service, so each revocation is in the account's audit log.
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "account", "status", "time_zone", "dni_active", "created_at")
    list_filter = ("status", "account")
    search_fields = ("name", "public_id", "numeric_id")
    readonly_fields = ("public_id", "numeric_id", "script_token", "created_at", "updated_at")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # New companies announce recordings, as ``company_create`` makes them.
        return {"recording_disclosure": True, **super().get_changeform_initial_data(request)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "numeric_id", "tag_level", "company", "account", "status", "color")
    list_filter = ("tag_level", "status", "account")
    search_fields = ("name",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read only: entries are written by the services, never by hand."""

    list_display = ("created_at", "account", "actor_label", "action", "object_type", "object_label", "ip_address")
    list_filter = ("account",)
    search_fields = ("actor_label", "action", "object_label", "object_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
