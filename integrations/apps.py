from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Webhooks and alert emails react to the domain's signals. Imported here, not at
        # the top: apps.py is read before the models these modules import are loaded.
        from integrations import conversions, emails
        from integrations.webhooks import receivers

        receivers.connect()
        emails.connect()
        conversions.connect()
