"""Flows follow their tags: a tag step names tags, so when a tag is deleted or renamed,
the flows that would apply it are rewritten (``call_flows_without_tag``,
``call_flows_with_tag_renamed``)."""

import copy
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import Tag
from telephony.callflows.validation import call_flow_validate
from tracking.models import CallFlow, Tracker

logger = logging.getLogger(__name__)

# The fields of a step that hold another step's id (besides each menu option's).
STEP_REF_FIELDS = ("next_step_id", "timeout_step_id", "no_input_step_id", "open_step_id", "closed_step_id")


def _retarget(definition: dict[str, Any], old: int | str, new: Any) -> None:
    """Point whatever led to step ``old`` at ``new`` instead."""

    def leads_to_old(ref: Any) -> bool:
        return ref is not None and ref != "" and str(ref) == str(old)

    if leads_to_old(definition.get("initial_step_id")):
        definition["initial_step_id"] = new
    for step in definition["steps"]:
        if not isinstance(step, dict):
            continue
        for key in STEP_REF_FIELDS:
            if leads_to_old(step.get(key)):
                step[key] = new
        options = step.get("menu_options")
        for option in options if isinstance(options, list) else []:
            if isinstance(option, dict) and leads_to_old(option.get("next_step_id")):
                option["next_step_id"] = new


def _tag_name(item: Any) -> Any:
    """A tag step's name as a running flow looks it up (validated, so without surrounding spaces)."""
    return item.strip() if isinstance(item, str) else item


def _listed_tags(step: Any) -> list:
    """A step's tag names as a list (none unless it is a tag step)."""
    if not isinstance(step, dict) or step.get("type") != "tag":
        return []
    listed = step.get("tags")
    if isinstance(listed, str):
        return [listed]
    return listed if isinstance(listed, list) else []


def _tag_steps_listing(definition: Any, name: str) -> tuple[dict, list[tuple[dict, list]]] | None:
    """A copy of an advanced ``definition`` and its tag steps (in the copy) that list ``name``,
    each with its names as a list; None if no tag step lists it."""
    if not isinstance(definition, dict) or definition.get("type") != "advanced":
        return None
    if not isinstance(definition.get("steps"), list):
        return None
    listing = [
        index
        for index, step in enumerate(definition["steps"])
        if any(_tag_name(item) == name for item in _listed_tags(step))
    ]
    if not listing:
        return None
    out = copy.deepcopy(definition)
    return out, [(out["steps"][index], _listed_tags(out["steps"][index])) for index in listing]


def flow_without_tag_name(definition: Any, name: str) -> dict | None:
    """``definition`` with ``name`` taken out of its tag steps, or None if no tag step lists it.

    Names compare as a running flow looks them up (validated, so without surrounding
    spaces; otherwise exactly). A tag step left without tags is dropped: whatever led to
    it leads to its next step. The result is not validated.
    """
    found = _tag_steps_listing(definition, name)
    if found is None:
        return None
    out, steps = found
    for step, listed in steps:
        kept = [item for item in listed if _tag_name(item) != name]
        if kept:
            step["tags"] = kept
            continue
        out["steps"] = [other for other in out["steps"] if other is not step]
        if step.get("id") is not None:
            _retarget(out, step["id"], step.get("next_step_id"))
    return out


def flow_with_tag_renamed(definition: Any, old: str, new: str) -> dict | None:
    """``definition`` with ``old`` replaced by ``new`` in its tag steps, or None if no tag step lists ``old``.

    Names compare as in ``flow_without_tag_name``. A step that already lists ``new`` keeps
    it once, where it was first listed. The result is not validated.
    """
    found = _tag_steps_listing(definition, old)
    if found is None:
        return None
    out, steps = found
    for step, listed in steps:
        renamed: list[Any] = []
        has_new = False
        for item in listed:
            item = new if _tag_name(item) == old else item
            if _tag_name(item) == new:
                if has_new:
                    continue
                has_new = True
            renamed.append(item)
        step["tags"] = renamed
    return out


def _edit_flows_finding_tag(
    *,
    tag: Tag,
    name: str,
    edit: Callable[[Any], dict | None],
    keeps: str,
    invalid: str,
    clashes: Callable[[int], bool] | None = None,
) -> int:
    """Save ``edit(definition)`` in the flows whose calls find ``tag`` by ``name``; returns how many changed.

    A tag step finds its names when a call passes it: the call's company tag first, then
    the account's, and it creates a company tag for a name it finds neither way. The
    companies that find ``tag`` by ``name`` are those it belongs to (its company, or every
    company for an account tag) where no other tag of that name comes first; ``edit`` is
    saved in the flows run only for such companies (calls take their tracker's company, and
    the flow's own company may add trackers later) and not for one where ``clashes``. A flow
    also run for other companies, or for one that clashes, is left as it is, and so is one
    whose edit would not validate (both logged as "call flow N keeps ``keeps``: ...").
    Saved flows clear the flow caches.
    """
    others = Tag.objects.filter(account_id=tag.account_id, name=name).exclude(pk=tag.pk)
    still_found = set(others.values_list("company_id", flat=True))
    if None in still_found:
        return 0  # every company finds the account's tag of that name

    def finds(company_id: int) -> bool:
        return tag.company_id in (None, company_id) and company_id not in still_found

    with transaction.atomic():
        edits = _flows_edited(tag, edit)
        run_by = _companies_running(edits)
        changed = 0
        for flow, definition in edits:
            companies = run_by[flow.pk]
            if not any(finds(company_id) for company_id in companies):
                continue  # none of its calls finds this tag by that name
            reason = _kept_because(definition, companies, finds=finds, clashes=clashes, invalid=invalid)
            if reason:
                logger.warning("call flow %s keeps %s: %s", flow.pk, keeps, reason)
                continue
            flow.definition = definition
            flow.save(update_fields=["definition", "updated_at"])
            changed += 1
    return changed


def _flows_edited(tag: Tag, edit: Callable[[Any], dict | None]) -> list[tuple[CallFlow, dict]]:
    """The flows a call could run ``tag`` in (locked, in id order) that ``edit`` changes, with their edit."""
    flows = CallFlow.objects.filter(account_id=tag.account_id)
    if tag.company_id is not None:
        flows = flows.filter(
            Q(company_id=tag.company_id)
            | Q(pk__in=Tracker.objects.filter(company_id=tag.company_id).values("call_flow_id"))
        )
    edits: list[tuple[CallFlow, dict]] = []
    for flow in flows.select_for_update().order_by("pk"):
        definition = edit(flow.definition)
        if definition is not None:
            edits.append((flow, definition))
    return edits


def _companies_running(edits: list[tuple[CallFlow, dict]]) -> dict[int, set[int]]:
    """Each flow's id → the companies whose calls may run it."""
    # Calls take their tracker's company; the flow's own company may add trackers later.
    run_by: dict[int, set[int]] = {flow.pk: {flow.company_id} for flow, _ in edits}
    trackers = Tracker.objects.filter(call_flow_id__in=run_by).values_list("call_flow_id", "company_id")
    for flow_id, company_id in trackers:
        run_by[flow_id].add(company_id)
    return run_by


def _kept_because(
    definition: dict,
    companies: set[int],
    *,
    finds: Callable[[int], bool],
    clashes: Callable[[int], bool] | None,
    invalid: str,
) -> str | None:
    """Why a flow run by ``companies`` keeps its definition instead of the edited one (None: it takes it)."""
    others = sorted(company_id for company_id in companies if not finds(company_id))
    if others:
        return f"it also runs for companies {others}, where that name is another tag"
    clashing = sorted(company_id for company_id in companies if clashes is not None and clashes(company_id))
    if clashing:
        return f"it runs for companies {clashing}, where the new name is another tag"
    try:
        call_flow_validate(definition)
    except ValidationError as exc:
        return f"{invalid} ({'; '.join(exc.messages)})"
    return None


def call_flows_without_tag(*, tag: Tag) -> int:
    """Take a deleted ``tag``'s name out of the flows that would bring it back; returns how many changed.

    Once ``tag`` is gone, the companies that found it by its name (and no other tag of
    that name) would recreate it; the flows their trackers run lose the name. A flow also
    run for a company where the name means another tag (its own, or one it would create)
    is left as it is, and so is one that would no longer validate (both logged).
    """
    return _edit_flows_finding_tag(
        tag=tag,
        name=tag.name,
        edit=lambda definition: flow_without_tag_name(definition, tag.name),
        keeps=f"deleted tag {tag.name!r}",
        invalid="without it the flow is invalid",
    )


def call_flows_with_tag_renamed(*, tag: Tag, old_name: str) -> int:
    """Follow a rename of ``tag`` (from ``old_name``) in the flows that found it by that name; returns how many changed.

    Once renamed, the companies that found ``tag`` by ``old_name`` would create a new tag
    of that name; in the flows their trackers run, ``old_name`` becomes the tag's name
    (listed once). A flow also run for a company where the old name means another tag,
    or where the new name does (so the flow would apply that tag instead), is left as it
    is, and so is one that would no longer validate (all logged).
    """
    new_name = tag.name
    named_new = set(
        Tag.objects.filter(account_id=tag.account_id, name=new_name)
        .exclude(pk=tag.pk)
        .values_list("company_id", flat=True)
    )

    def clashes(company_id: int) -> bool:
        # A company tag comes first; for an account tag, another account tag of that name is as likely.
        return company_id in named_new or (tag.company_id is None and None in named_new)

    return _edit_flows_finding_tag(
        tag=tag,
        name=old_name,
        edit=lambda definition: flow_with_tag_renamed(definition, old_name, new_name),
        keeps=f"renamed tag {old_name!r} (now {new_name!r})",
        invalid="with the new name the flow is invalid",
        clashes=clashes,
    )
