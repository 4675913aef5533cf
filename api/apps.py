from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Webhook bodies embed the v3 call and form objects, which only this layer's
        # serializers render; integrations/ sits below api/ and may not import it, so the
        # renderers are handed over here. Imported here, not at the top: apps.py is read
        # before the models these modules import are loaded.
        from api.v3.webhook_renderers import RENDERERS
        from integrations.v3_shapes import v3_renderers_register

        v3_renderers_register(RENDERERS)
