"""Saving advanced call flows (the dashboard's flow builder): checked by the same
``call_flow_validate`` as the v3 API's trackers, written in one transaction. Trackers use
a flow by its uuid (``{"type": "advanced", "uuid": …}``), through the tracker update.

Saving a flow clears the DNI configuration of its company (a tracker without swap targets
swaps its flow's destination) through the ``CallFlow`` signal, and the runtime reads the
new version on the next request (its cache is keyed by the row's ``updated_at``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Company
from telephony.callflows.validation import call_flow_validate
from tracking.models import CallFlow


class CallFlowInUse(ValidationError):
    """The flow still answers some tracker's calls."""


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("name: is required.")
    if len(value.strip()) > 255:
        raise ValidationError("name: is too long (255 characters at most).")
    return value.strip()


def _advanced(definition: Any) -> dict[str, Any]:
    normalised = call_flow_validate(definition)
    if normalised["type"] != "advanced" or "steps" not in normalised:
        raise ValidationError("call_flow: an advanced flow with its steps is expected here.")
    return normalised


@transaction.atomic
def call_flow_create(*, company: Company, name: Any, definition: Any) -> CallFlow:
    """A new advanced flow of ``company``. Raises ``ValidationError`` naming the first problem."""
    return CallFlow.objects.create(
        account_id=company.account_id, company=company, name=_name(name), definition=_advanced(definition)
    )


@transaction.atomic
def call_flow_update(*, flow: CallFlow, name: Any, definition: Any) -> CallFlow:
    """Change a flow's name and steps; every tracker using it follows at once."""
    checked_name, checked = _name(name), _advanced(definition)
    # Two editors saving at once: the later save wins whole, never a mix of both.
    locked = CallFlow.objects.select_for_update().get(pk=flow.pk)
    locked.name, locked.definition = checked_name, checked
    locked.save(update_fields=["name", "definition", "updated_at"])
    return locked


@transaction.atomic
def call_flow_delete(*, flow: CallFlow) -> None:
    """Delete a flow no tracker uses (a disabled tracker keeps its flow for its history)."""
    locked = CallFlow.objects.select_for_update().get(pk=flow.pk)
    if locked.trackers.exists():
        raise CallFlowInUse("This call flow answers the calls of a tracker: give the tracker another flow first.")
    locked.delete()
