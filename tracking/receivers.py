"""Keep the DNI caches and the Redis pools in step with rows saved anywhere
(API, admin, shell). Cache invalidation is what signals are for here; the
domain flow itself calls services directly."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Company
from tracking.config_cache import company_config_forget
from tracking.models import CallFlow, Tracker, TrackingNumber
from tracking.pools import pool_sync


def _sync_later(tracker_id: int) -> None:
    def run() -> None:
        tracker = Tracker.objects.filter(pk=tracker_id).select_related("company").first()
        if tracker is not None:
            pool_sync(tracker)

    transaction.on_commit(run)


@receiver(post_save, sender=Company)
@receiver(post_delete, sender=Company)
def company_changed(sender: type, instance: Company, **kwargs: Any) -> None:
    company_config_forget(company_pk=instance.pk)


@receiver(post_save, sender=Tracker)
def tracker_saved(sender: type, instance: Tracker, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    company_config_forget(company_pk=instance.company_id)
    if update_fields is not None and set(update_fields) <= {"exhaustion_count", "last_exhausted_at", "updated_at"}:
        return
    if instance.type == Tracker.Type.SESSION and not created:
        _sync_later(instance.pk)


@receiver(post_delete, sender=Tracker)
def tracker_deleted(sender: type, instance: Tracker, **kwargs: Any) -> None:
    company_config_forget(company_pk=instance.company_id)


@receiver(post_save, sender=TrackingNumber)
@receiver(post_delete, sender=TrackingNumber)
def number_changed(sender: type, instance: TrackingNumber, **kwargs: Any) -> None:
    tracker = Tracker.objects.filter(pk=instance.tracker_id).values_list("company_id", "type").first()
    if tracker is None:
        return
    company_config_forget(company_pk=tracker[0])
    if tracker[1] == Tracker.Type.SESSION:
        _sync_later(instance.tracker_id)


@receiver(post_save, sender=CallFlow)
def call_flow_saved(sender: type, instance: CallFlow, **kwargs: Any) -> None:
    # A tracker without swap targets swaps its call flow's destination number.
    company_config_forget(company_pk=instance.company_id)
