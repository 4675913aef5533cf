"""A marketer's changes to a call (the v3 call update): lead status, note, value, the
customer's name, spam and tags."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.money import money_parse
from accounts.services import tags_for_names
from telephony import signals
from telephony.models import Call
from tracking.models import Person

UPDATABLE = frozenset({"tags", "append_tags", "note", "value", "lead_status", "customer_name", "spam"})


def _lead_status_set(call: Call, value: Any) -> bool:
    status = value or None
    if status not in (None, Call.LeadStatus.GOOD_LEAD, Call.LeadStatus.NOT_A_LEAD):
        raise ValidationError("lead_status must be good_lead, not_a_lead or null.")
    if status == Call.LeadStatus.GOOD_LEAD and call.lead_status == Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD:
        raise ValidationError("This caller was already marked as a good lead on an earlier call.")
    if status == call.lead_status:
        return False
    call.lead_status = status
    return True


def _note_set(call: Call, value: Any) -> bool:
    note = value or ""
    if not isinstance(note, str):
        raise ValidationError("note must be text.")
    if note == call.note:
        return False
    call.note = note
    return True


def _value_set(call: Call, value: Any) -> bool:
    amount = money_parse(value)
    if amount == call.value:
        return False
    call.value = amount
    return True


def _customer_name_set(call: Call, value: Any) -> bool:
    name = value or ""
    if not isinstance(name, str) or len(name) > 255:
        raise ValidationError("customer_name must be text of at most 255 characters.")
    if name == call.customer_name:
        return False
    call.customer_name = name
    if call.person_id and name:
        # The lead is the same person on every call: the name follows.
        Person.objects.filter(pk=call.person_id).update(name=name, updated_at=timezone.now())
    return True


def _spam_set(call: Call, value: Any) -> bool:
    if value is True:
        if call.spam:
            return False
        call.spam = True
        return True
    if value in (False, None) and not call.spam:
        return False
    raise ValidationError("spam can only be set to true; a call marked as spam cannot be unmarked.")


# Each checks and applies one change to the call's own fields, in this order, and
# returns whether the call changed.
_FIELD_SETTERS: dict[str, Callable[[Call, Any], bool]] = {
    "lead_status": _lead_status_set,
    "note": _note_set,
    "value": _value_set,
    "customer_name": _customer_name_set,
    "spam": _spam_set,
}


def _tags_set(call: Call, names: Any, *, append: bool) -> bool:
    tags = tags_for_names(account_id=call.account_id, company_id=call.company_id, names=names)
    before = set(call.tags.values_list("pk", flat=True))
    if append:
        call.tags.add(*tags)
        after = before | {tag.pk for tag in tags}
    else:
        call.tags.set(tags)
        after = {tag.pk for tag in tags}
    return after != before


@transaction.atomic
def call_update(*, call: Call, changes: dict, user: User | None = None) -> Call:
    """A marketer's changes to a call (the v3 call update). Keys left out stay as they
    are; ``null``/``""`` clear. ``spam`` can only be set, never unset. Sends
    ``call_modified`` with the names of what actually changed."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationError(f"Unknown field: {sorted(unknown)[0]}.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    changed = [name for name, apply in _FIELD_SETTERS.items() if name in changes and apply(call, changes[name])]
    if "tags" in changes and _tags_set(call, changes["tags"], append=changes.get("append_tags") is True):
        changed.append("tags")
    fields = sorted(name for name in changed if name != "tags")
    if fields:
        call.save(update_fields=[*fields, "updated_at"])
    if changed:
        signals.call_modified.send(sender=Call, call=call, changes=changed)
    return call
