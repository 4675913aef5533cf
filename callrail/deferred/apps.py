from django.apps import AppConfig


class DeferredConfig(AppConfig):
    name = "callrail.deferred"
    label = "deferred"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Deferred tasks"
