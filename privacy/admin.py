from django.contrib import admin
from django.http import HttpRequest

from privacy.models import Erasure


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """The log of erasures, read-only: they are requested through the API or ``erase_person``."""

    list_display = ("public_id", "account", "status", "requested_by", "requested_via", "created_at", "completed_at")
    list_filter = ("status", "requested_via")
    search_fields = ("public_id",)
    exclude = ("phone_number", "email", "targets", "run_token")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False
