"""Keep telephony in step with rows saved anywhere (API, admin, shell): the caches an
inbound call reads, and the call flows that name a tag when that tag is renamed or
deleted. Cache invalidation and following a rename are what signals are for here; the
call lifecycle itself calls services directly."""

from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import Company, Tag
from telephony.callflows.tag_rewrite import call_flows_with_tag_renamed, call_flows_without_tag
from telephony.callflows.validation import flow_steps_forget
from telephony.services.lookups import numbers_forget
from tracking.models import CallFlow, Tracker, TrackingNumber


def numbers_changed(**kwargs: Any) -> None:
    """What a dialed number leads to changed: this process drops its cached numbers and flows,
    the others catch up on their next call (``telephony.services.lookups``)."""
    flow_steps_forget()
    numbers_forget()


for _model in (TrackingNumber, Tracker, CallFlow, Company):
    post_save.connect(numbers_changed, sender=_model, dispatch_uid=f"telephony-numbers-{_model.__name__}")
    post_delete.connect(numbers_changed, sender=_model, dispatch_uid=f"telephony-numbers-del-{_model.__name__}")


# A tag step recreates a tag it cannot find: a deleted tag leaves the flows...
@receiver(post_delete, sender=Tag, dispatch_uid="telephony-tag-deleted")
def tag_deleted(*, instance: Tag, origin: Any = None, **kwargs: Any) -> None:
    """A deleted tag stays deleted: the flows that would recreate it stop applying it.

    Runs inside the delete's transaction. A tag deleted because its company or account is
    (the only cascades that reach a tag) leaves nothing to do: their flows go too.
    """
    started_by = origin._meta.model if isinstance(origin, Model) else getattr(origin, "model", None)
    if started_by is not None and not issubclass(started_by, Tag):
        return
    call_flows_without_tag(tag=instance)


# ...and a renamed one would come back under its old name: the flows take the new one.
# The name a tag had in the database when its save started (set by ``tag_saving``).
_STORED_NAME = "_telephony_stored_name"


@receiver(pre_save, sender=Tag, dispatch_uid="telephony-tag-saving")
def tag_saving(*, instance: Tag, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """Remember the stored name of a tag about to be saved, for ``tag_saved`` to spot a rename."""
    instance.__dict__.pop(_STORED_NAME, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "name" not in update_fields:
        return
    stored = Tag.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    if stored is not None and stored != instance.name:
        setattr(instance, _STORED_NAME, stored)


@receiver(post_save, sender=Tag, dispatch_uid="telephony-tag-saved")
def tag_saved(*, instance: Tag, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    """A renamed tag stays the tag its flows apply: their tag steps take the new name.

    Runs inside the save's transaction when there is one (the API's and the admin's).
    """
    old_name = instance.__dict__.pop(_STORED_NAME, None)
    if created or raw or old_name is None or old_name == instance.name:
        return
    call_flows_with_tag_renamed(tag=instance, old_name=old_name)
