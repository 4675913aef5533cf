from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "telephony"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from telephony import receivers  # noqa: F401 - connects the receivers
