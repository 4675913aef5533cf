"""Trackers, tracking numbers and call flows in the audit trail.

These rows are written by several services (tracker set-up and changes, number purchase
and release, call flow edits, tag renames that rewrite flows) and by the Django admin, so
the entries are made where every writer passes: the model's save and delete. Who acted
comes from the request being served (``accounts.audit``). Counters the DNI path updates
(a pool running out of numbers) are not changes anyone made and are not recorded.
"""

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from accounts.audit import audit_record
from tracking.models import CallFlow, Tracker, TrackingNumber

AUDITED: dict[type[models.Model], str] = {
    Tracker: "tracker",
    TrackingNumber: "tracking_number",
    CallFlow: "call_flow",
}
NOT_RECORDED = frozenset({"id", "created_at", "updated_at", "exhaustion_count", "last_exhausted_at"})
_STORED = "_audit_stored"


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in NOT_RECORDED]


def _shown(field: models.Field, value: Any) -> Any:
    """A reference to another row reads as that row's name, not its key."""
    if value is None or not field.is_relation or field.related_model is None:
        return value
    related = field.related_model._default_manager.filter(pk=value).first()
    return str(related) if related is not None else value


def row_saving(sender: type[models.Model], *, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    """Remember the stored values of a row about to be changed, to record what changed."""
    instance.__dict__.pop(_STORED, None)
    update_fields = kwargs.get("update_fields")
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= NOT_RECORDED:
        return
    names = [field.attname for field in _fields(sender)]
    stored = sender._default_manager.filter(pk=instance.pk).values(*names).first()
    if stored is not None:
        setattr(instance, _STORED, stored)


def row_saved(
    sender: type[models.Model], *, instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    kind = AUDITED[sender]
    account_id: int = instance.account_id  # type: ignore[attr-defined]
    if created:
        audit_record(account=account_id, action=f"{kind}.created", target=instance)
        return
    stored = instance.__dict__.pop(_STORED, None)
    if stored is None:
        return
    changes = {
        field.name: (_shown(field, stored[field.attname]), _shown(field, getattr(instance, field.attname)))
        for field in _fields(sender)
        if stored[field.attname] != getattr(instance, field.attname)
    }
    if changes:
        audit_record(account=account_id, action=f"{kind}.updated", target=instance, changes=changes)


def row_deleted(sender: type[models.Model], *, instance: models.Model, origin: Any = None, **kwargs: Any) -> None:
    """Recorded when the row itself was deleted; a row going with its tracker, company or
    account is part of that deletion (and the account's trail may be going too)."""
    started_by = origin._meta.model if isinstance(origin, models.Model) else getattr(origin, "model", None)
    if started_by is not None and started_by is not sender:
        return
    audit_record(account=instance.account_id, action=f"{AUDITED[sender]}.deleted", target=instance)  # type: ignore[attr-defined]


for _model in AUDITED:
    pre_save.connect(row_saving, sender=_model, dispatch_uid=f"tracking-audit-saving-{_model.__name__}")
    post_save.connect(row_saved, sender=_model, dispatch_uid=f"tracking-audit-saved-{_model.__name__}")
    post_delete.connect(row_deleted, sender=_model, dispatch_uid=f"tracking-audit-deleted-{_model.__name__}")
