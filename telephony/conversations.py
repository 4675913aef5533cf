"""Writes on text conversations that are not about sending or receiving a text: the
inbox state (archived or active) and the marketer's lead fields on the thread."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.money import money_parse
from accounts.services import tags_for_names
from telephony.models import Call, TextConversation

THREAD_FIELDS = frozenset({"state", "note", "value", "lead_status", "tags", "append_tags"})


@transaction.atomic
def conversation_state_set(*, conversation: TextConversation, state: Any) -> TextConversation:
    """Archive a conversation (out of the inbox) or make it active again.

    A new text in either direction makes an archived conversation active again.
    """
    if state not in TextConversation.State.values:
        raise ValidationError(f"state must be one of {', '.join(TextConversation.State.values)}.")
    updated = TextConversation.objects.filter(pk=conversation.pk).exclude(state=state)
    if updated.update(state=state, updated_at=timezone.now()):
        conversation.refresh_from_db(fields=["state", "updated_at"])
    return conversation


@transaction.atomic
def conversation_update(*, conversation: TextConversation, changes: dict[str, Any]) -> TextConversation:
    """The marketer's changes to a text thread: its state, note, value, lead status and
    tags, as on a call. Keys left out stay as they are; null or "" clears."""
    unknown = set(changes) - THREAD_FIELDS
    if unknown:
        raise ValidationError(f"Unknown field: {sorted(unknown)[0]}.")
    # Lock the row: two marketers editing one thread must not lose each other's change.
    conversation = TextConversation.objects.select_for_update().get(pk=conversation.pk)
    if "state" in changes:
        conversation_state_set(conversation=conversation, state=changes["state"])
    fields = _details_set(conversation, changes)
    if "tags" in changes:
        tags = tags_for_names(
            account_id=conversation.account_id, company_id=conversation.company_id, names=changes["tags"]
        )
        if changes.get("append_tags") is True:
            conversation.tags.add(*tags)
        else:
            conversation.tags.set(tags)
    if fields:
        conversation.save(update_fields=[*sorted(fields), "updated_at"])
    return conversation


def _details_set(conversation: TextConversation, changes: dict[str, Any]) -> set[str]:
    """Apply the note, value and lead status among ``changes``; the fields that changed."""
    fields: set[str] = set()
    if "note" in changes:
        note = changes["note"] or ""
        if not isinstance(note, str):
            raise ValidationError("note must be text.")
        conversation.note = note
        fields.add("note")
    if "value" in changes:
        conversation.value = money_parse(changes["value"])
        fields.add("value")
    if "lead_status" in changes:
        status = changes["lead_status"] or None
        if status not in (None, Call.LeadStatus.GOOD_LEAD, Call.LeadStatus.NOT_A_LEAD):
            raise ValidationError("lead_qualification must be good_lead, not_a_lead or null.")
        conversation.lead_status = status
        fields.add("lead_status")
    return fields
