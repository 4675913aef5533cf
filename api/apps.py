from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The interface layer listens to the domain's events (webhooks, email alerts).
        from api import notifications
        from api.webhooks import receivers

        receivers.connect()
        notifications.connect()
