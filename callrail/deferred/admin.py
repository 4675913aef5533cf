from django.contrib import admin

from callrail.deferred.models import DeferredTask


@admin.register(DeferredTask)
class DeferredTaskAdmin(admin.ModelAdmin):
    list_display = ("task", "args", "run_after", "created_at", "attempts", "last_error")
    readonly_fields = ("task", "args", "kwargs", "run_after", "created_at", "attempts", "last_error")
