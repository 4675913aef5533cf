from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


class TelephonyConfig(AppConfig):
    name = "telephony"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Inbound calls cache what a dialed number leads to; a change to any part of
        # it clears the cache of this process (others catch up within seconds).
        from accounts.models import Company, Tag
        from telephony.services import numbers_forget, tag_deleted, tag_saved, tag_saving
        from tracking.models import CallFlow, Tracker, TrackingNumber

        for model in (TrackingNumber, Tracker, CallFlow, Company):
            post_save.connect(numbers_forget, sender=model, dispatch_uid=f"telephony-numbers-{model.__name__}")
            post_delete.connect(numbers_forget, sender=model, dispatch_uid=f"telephony-numbers-del-{model.__name__}")
        # A tag step recreates a tag it cannot find: a deleted tag leaves the flows.
        post_delete.connect(tag_deleted, sender=Tag, dispatch_uid="telephony-tag-deleted")
        # ...and a renamed one would come back under its old name: the flows take the new one.
        pre_save.connect(tag_saving, sender=Tag, dispatch_uid="telephony-tag-saving")
        post_save.connect(tag_saved, sender=Tag, dispatch_uid="telephony-tag-saved")
