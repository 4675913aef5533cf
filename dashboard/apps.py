from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The marketers' web app: an interface layer over the domain apps, like ``api``."""

    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"
