"""Call flows: what a tracking number does when it rings.

A flow is CallRail's ``call_flow`` object. *Basic*: a greeting (text wins over a
recording when both are set), then ring the destination, optionally recorded.
*Advanced*: steps joined by ids, starting at ``initial_step_id``. The step types are
CallRail's documented ``dial``, ``menu`` and ``voicemail`` plus the ones such
products offer in their editors:

=================  ==========================================================================
``dial``           ring ``destination_number`` for ``timeout`` s; no answer → ``timeout_step_id``
``simultaneous``   ring up to 10 ``destination_numbers`` at once; first to answer wins
``round_robin``    ring ``destination_numbers`` one at a time, starting with the next in turn
                   (a repeat caller starts with the person who answered them last time)
``menu``           play ``prompt_text``/``prompt_recording_url``, wait for one key; ``menu_options``
                   map keys to steps; no or invalid input repeats it ``repeat`` times, then
                   ``no_input_step_id`` (or goodbye)
``voicemail``      play the prompt, record a message (``transcribe`` for a transcription)
``schedule``       open hours (``hours`` per weekday, ``closed_dates``) in the company's time
                   zone (or ``time_zone``) → ``open_step_id`` / ``closed_step_id``
``tag``            apply ``tags`` to the call → ``next_step_id``
``message``        play a prompt → ``next_step_id``
``hangup``         optional prompt, then hang up
=================  ==========================================================================

TwiML is stateless, so a flow that needs the caller (a menu, a dial that may time
out, a voicemail) continues at ``/telephony/twilio/flow?call=…&step=…&event=…``;
Twilio signs those requests like the first one. Steps that need nobody (schedule,
tag, message) run inside the same answer.
"""

import copy
import logging
import re
import uuid
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import Tag
from accounts.phone import to_e164
from callrail.redis import get_redis
from telephony.links import public_url
from telephony.models import Call
from telephony.twilio import Dial, Gather, VoiceResponse
from tracking.models import CallFlow, Tracker

logger = logging.getLogger(__name__)

DIAL_TYPES = frozenset({"dial", "simultaneous", "round_robin"})
STEP_TYPES = DIAL_TYPES | {"menu", "voicemail", "schedule", "tag", "message", "hangup"}
# Steps that run without waiting for the caller; a loop made only of these would never end.
INLINE_TYPES = frozenset({"schedule", "tag", "message"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MENU_KEYS = frozenset("0123456789*#")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_STEPS = 100
MAX_INLINE_HOPS = 50
DEFAULT_DIAL_TIMEOUT = 30
DEFAULT_MENU_TIMEOUT = 5
DEFAULT_MENU_REPEAT = 2
DEFAULT_VOICEMAIL_MAX_LENGTH = 120
BASIC_DIAL_STEP = "dial"
BASIC_GREETING_STEP = "greeting"

NOT_VALID_OPTION = "Sorry, that is not a valid option."
NO_INPUT = "Sorry, we did not receive a selection."
GOODBYE = "Thank you for calling. Goodbye."
VOICEMAIL_THANKS = "Thank you. Your message has been recorded. Goodbye."


# --- validation -------------------------------------------------------------------------


def _error(path: str, message: str) -> ValidationError:
    return ValidationError(f"call_flow{path}: {message}" if path else f"call_flow: {message}")


def _bool(value: Any, path: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _error(path, "must be true or false.")
    return value


def _text(value: Any, path: str, required: bool = False, max_length: int = 1000) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _error(path, "is required.")
        return None
    if not isinstance(value, str):
        raise _error(path, "must be text.")
    if len(value) > max_length:
        raise _error(path, f"must be at most {max_length} characters.")
    return value.strip()


def _number(value: Any, path: str) -> str:
    if not isinstance(value, str | int) or not str(value).strip():
        raise _error(path, "a phone number is required.")
    try:
        return to_e164(str(value))
    except ValidationError as exc:
        raise _error(path, f"{value!r} is not a valid phone number.") from exc


def _audio_url(value: Any, path: str, required: bool = False) -> str | None:
    text = _text(value, path, required=required, max_length=2000)
    if text is None:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise _error(path, "must be an http(s) URL.")
    if not parsed.path.lower().endswith((".mp3", ".wav")):
        raise _error(path, "must point to a .wav or .mp3 file.")
    return text


def _int(value: Any, path: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _error(path, "must be a whole number.")
    try:
        number = int(value)
    except ValueError as exc:
        raise _error(path, "must be a whole number.") from exc
    if not low <= number <= high:
        raise _error(path, f"must be between {low} and {high}.")
    return number


def _step_ref(value: Any, path: str, required: bool = False) -> int | str | None:
    if value is None or value == "":
        if required:
            raise _error(path, "is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _error(path, "must be a step id.")
    return value


def _prompt(step: dict[str, Any], path: str, out: dict[str, Any], required: bool) -> None:
    prompt_type = step.get("prompt_type") or ("recording" if step.get("prompt_recording_url") else "text")
    if prompt_type not in ("text", "recording"):
        raise _error(f"{path}.prompt_type", "must be text or recording.")
    out["prompt_type"] = prompt_type
    out["prompt_text"] = _text(step.get("prompt_text"), f"{path}.prompt_text", required and prompt_type == "text")
    out["prompt_recording_url"] = _audio_url(
        step.get("prompt_recording_url"), f"{path}.prompt_recording_url", required and prompt_type == "recording"
    )
    # CallRail names uploaded prompts by id; kept as given so flows round-trip.
    out["prompt_recording_id"] = step.get("prompt_recording_id")


def _numbers(value: Any, path: str, low: int) -> list[str]:
    if not isinstance(value, list) or not low <= len(value) <= 10:
        raise _error(path, f"must be a list of {low} to 10 phone numbers.")
    numbers = [_number(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if len(set(numbers)) != len(numbers):
        raise _error(path, "lists a number twice.")
    return numbers


def _hours(value: Any, path: str) -> dict[str, list[list[str]]]:
    if not isinstance(value, dict):
        raise _error(path, "must map weekdays to lists of [open, close] times.")
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        raise _error(path, f"unknown day {sorted(unknown)[0]!r}.")
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        ranges = value.get(day) or []
        if not isinstance(ranges, list):
            raise _error(f"{path}.{day}", "must be a list of [open, close] times.")
        out = []
        for index, item in enumerate(ranges):
            where = f"{path}.{day}[{index}]"
            if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(t, str) for t in item)):
                raise _error(where, 'must be ["HH:MM", "HH:MM"].')
            start, end = item
            if not HHMM_RE.match(start) or not HHMM_RE.match(end):
                raise _error(where, 'must be ["HH:MM", "HH:MM"].')
            if start >= end:
                raise _error(where, "must close after it opens.")
            out.append([start, end])
        hours[day] = out
    return hours


def _dates(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(path, "must be a list of YYYY-MM-DD dates.")
    dates = []
    for index, item in enumerate(value):
        try:
            dates.append(datetime.strptime(str(item), "%Y-%m-%d").date().isoformat())
        except ValueError as exc:
            raise _error(f"{path}[{index}]", "must be a YYYY-MM-DD date.") from exc
    return dates


def _validate_step(step: Any, index: int) -> dict[str, Any]:
    path = f".steps[{index}]"
    if not isinstance(step, dict):
        raise _error(path, "must be an object.")
    step_id = _step_ref(step.get("id"), f"{path}.id", required=True)
    kind = step.get("type")
    if kind not in STEP_TYPES:
        raise _error(f"{path}.type", f"must be one of {', '.join(sorted(STEP_TYPES))}.")
    out: dict[str, Any] = {"id": step_id, "type": kind}
    if step.get("name") is not None:
        out["name"] = _text(step.get("name"), f"{path}.name", max_length=255)
    if kind in DIAL_TYPES:
        if kind == "dial":
            out["destination_number"] = _number(step.get("destination_number"), f"{path}.destination_number")
        else:
            out["destination_numbers"] = _numbers(step.get("destination_numbers"), f"{path}.destination_numbers", 2)
        out["timeout"] = _int(step.get("timeout"), f"{path}.timeout", DEFAULT_DIAL_TIMEOUT, 5, 600)
        out["timeout_step_id"] = _step_ref(step.get("timeout_step_id"), f"{path}.timeout_step_id")
        out["whisper_message"] = _text(step.get("whisper_message"), f"{path}.whisper_message", max_length=255)
    elif kind == "menu":
        _prompt(step, path, out, required=True)
        options = step.get("menu_options")
        if not isinstance(options, list) or not options:
            raise _error(f"{path}.menu_options", "must list at least one option.")
        keys: set[str] = set()
        out["menu_options"] = []
        for position, option in enumerate(options):
            where = f"{path}.menu_options[{position}]"
            if not isinstance(option, dict):
                raise _error(where, "must be an object.")
            key = str(option.get("key", "")).strip()
            if key not in MENU_KEYS:
                raise _error(f"{where}.key", "must be one key: 0-9, * or #.")
            if key in keys:
                raise _error(f"{where}.key", f"key {key} is used twice.")
            keys.add(key)
            out["menu_options"].append(
                {
                    "key": key,
                    "description": _text(option.get("description"), f"{where}.description", max_length=255) or "",
                    "next_step_id": _step_ref(option.get("next_step_id"), f"{where}.next_step_id", required=True),
                }
            )
        out["timeout"] = _int(step.get("timeout"), f"{path}.timeout", DEFAULT_MENU_TIMEOUT, 1, 60)
        out["repeat"] = _int(step.get("repeat"), f"{path}.repeat", DEFAULT_MENU_REPEAT, 0, 5)
        out["no_input_step_id"] = _step_ref(step.get("no_input_step_id"), f"{path}.no_input_step_id")
    elif kind == "voicemail":
        _prompt(step, path, out, required=False)
        out["transcribe"] = _bool(step.get("transcribe"), f"{path}.transcribe")
        out["max_length"] = _int(step.get("max_length"), f"{path}.max_length", DEFAULT_VOICEMAIL_MAX_LENGTH, 5, 3600)
    elif kind == "schedule":
        zone = _text(step.get("time_zone"), f"{path}.time_zone", max_length=64)
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise _error(f"{path}.time_zone", f"unknown time zone {zone!r}.") from exc
        out["time_zone"] = zone
        out["hours"] = _hours(step.get("hours"), f"{path}.hours")
        out["closed_dates"] = _dates(step.get("closed_dates"), f"{path}.closed_dates")
        out["open_step_id"] = _step_ref(step.get("open_step_id"), f"{path}.open_step_id", required=True)
        out["closed_step_id"] = _step_ref(step.get("closed_step_id"), f"{path}.closed_step_id", required=True)
    elif kind == "tag":
        tags = step.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list) or not tags:
            raise _error(f"{path}.tags", "must list at least one tag name.")
        out["tags"] = [_text(name, f"{path}.tags[{i}]", required=True, max_length=100) for i, name in enumerate(tags)]
        out["next_step_id"] = _step_ref(step.get("next_step_id"), f"{path}.next_step_id", required=True)
    elif kind == "message":
        _prompt(step, path, out, required=True)
        out["next_step_id"] = _step_ref(step.get("next_step_id"), f"{path}.next_step_id", required=True)
    elif kind == "hangup":
        _prompt(step, path, out, required=False)
    return out


def step_targets(step: dict[str, Any]) -> list[int | str]:
    """The ids a step can continue to."""
    kind = step["type"]
    if kind in DIAL_TYPES:
        refs = [step.get("timeout_step_id")]
    elif kind == "menu":
        refs = [option["next_step_id"] for option in step["menu_options"]] + [step.get("no_input_step_id")]
    elif kind == "schedule":
        refs = [step["open_step_id"], step["closed_step_id"]]
    elif kind in ("tag", "message"):
        refs = [step["next_step_id"]]
    else:
        refs = []
    return [ref for ref in refs if ref is not None]


def _validate_graph(initial: int | str, steps: list[dict[str, Any]]) -> None:
    by_id = {str(step["id"]): step for step in steps}
    if str(initial) not in by_id:
        raise _error(".initial_step_id", f"no step has id {initial!r}.")
    for index, step in enumerate(steps):
        for ref in step_targets(step):
            if str(ref) not in by_id:
                raise _error(f".steps[{index}]", f"refers to step {ref!r}, which does not exist.")
    reachable = {str(initial)}
    queue = deque([str(initial)])
    while queue:
        for ref in step_targets(by_id[queue.popleft()]):
            if str(ref) not in reachable:
                reachable.add(str(ref))
                queue.append(str(ref))
    unreachable = [step["id"] for step in steps if str(step["id"]) not in reachable]
    if unreachable:
        raise _error(".steps", f"step {unreachable[0]!r} can never be reached from the initial step.")
    # A loop through schedule/tag/message steps alone would spin without the caller.
    state: dict[str, int] = {}

    def visit(step_id: str) -> None:
        state[step_id] = 1
        for ref in step_targets(by_id[step_id]):
            target = by_id[str(ref)]
            if target["type"] not in INLINE_TYPES:
                continue
            if state.get(str(ref)) == 1:
                raise _error(".steps", f"steps loop back to {ref!r} without waiting for the caller.")
            if str(ref) not in state:
                visit(str(ref))
        state[step_id] = 2

    for step in steps:
        if step["type"] in INLINE_TYPES and str(step["id"]) not in state:
            visit(str(step["id"]))


def call_flow_validate(definition: dict) -> dict:
    """Check a ``call_flow`` object and return it normalised (numbers in E.164, defaults
    filled in). Raises ``ValidationError`` naming the first problem."""
    if not isinstance(definition, dict):
        raise _error("", "must be an object.")
    kind = definition.get("type")
    if kind == "basic":
        greeting_text = _text(definition.get("greeting_text"), ".greeting_text")
        return {
            "type": "basic",
            "recording_enabled": _bool(definition.get("recording_enabled"), ".recording_enabled"),
            "destination_number": _number(definition.get("destination_number"), ".destination_number"),
            "greeting_text": greeting_text,
            "greeting_recording_url": _audio_url(definition.get("greeting_recording_url"), ".greeting_recording_url"),
        }
    if kind != "advanced":
        raise _error(".type", "must be basic or advanced.")
    if "steps" not in definition and definition.get("uuid"):
        try:
            return {"type": "advanced", "uuid": str(uuid.UUID(str(definition["uuid"])))}
        except ValueError as exc:
            raise _error(".uuid", "is not a valid call flow id.") from exc
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _error(".steps", "must list at least one step.")
    if len(steps) > MAX_STEPS:
        raise _error(".steps", f"at most {MAX_STEPS} steps.")
    normalised = [_validate_step(step, index) for index, step in enumerate(steps)]
    seen: set[str] = set()
    for index, step in enumerate(normalised):
        if str(step["id"]) in seen:
            raise _error(f".steps[{index}].id", f"id {step['id']!r} is used twice.")
        seen.add(str(step["id"]))
    initial = _step_ref(definition.get("initial_step_id"), ".initial_step_id", required=True)
    _validate_graph(initial, normalised)
    return {
        "type": "advanced",
        "recording_enabled": _bool(definition.get("recording_enabled"), ".recording_enabled"),
        "initial_step_id": initial,
        "steps": normalised,
    }


def as_steps(definition: dict) -> dict:
    """A validated flow in step form (a basic flow is a greeting step and a dial step)."""
    if definition["type"] == "advanced":
        return definition
    dial = {
        "id": BASIC_DIAL_STEP,
        "type": "dial",
        "destination_number": definition["destination_number"],
        "timeout": DEFAULT_DIAL_TIMEOUT,
        "timeout_step_id": None,
        "whisper_message": None,
    }
    steps: list[dict[str, Any]] = []
    initial = BASIC_DIAL_STEP
    # The reference: with both greetings set, the text greeting wins.
    if definition.get("greeting_text") or definition.get("greeting_recording_url"):
        text = definition.get("greeting_text")
        steps.append(
            {
                "id": BASIC_GREETING_STEP,
                "type": "message",
                "prompt_type": "text" if text else "recording",
                "prompt_text": text,
                "prompt_recording_url": None if text else definition["greeting_recording_url"],
                "next_step_id": BASIC_DIAL_STEP,
            }
        )
        initial = BASIC_GREETING_STEP
    steps.append(dial)
    return {
        "type": "basic",
        "recording_enabled": definition["recording_enabled"],
        "initial_step_id": initial,
        "steps": steps,
    }


# Validated flows by (row, version): every request of every call reads its flow.
_flows: dict[tuple[int, Any], dict] = {}


def flow_steps(call_flow: Any) -> dict:
    """A CallFlow row's definition, validated and in step form (read-only: it is shared)."""
    if call_flow.pk is None:
        return as_steps(call_flow_validate(call_flow.definition))
    key = (call_flow.pk, call_flow.updated_at)
    flow = _flows.get(key)
    if flow is None:
        flow = as_steps(call_flow_validate(call_flow.definition))
        if len(_flows) > 10_000:
            _flows.clear()
        _flows[key] = flow
    return flow


def fallback_destination(definition: Any, *, steps: dict | None = None) -> str | None:
    """The number to ring when anything goes wrong: the first phone the flow would ring.
    ``steps`` is the flow already validated (``flow_steps``), when at hand."""
    try:
        flow = steps or as_steps(call_flow_validate(definition))
    except (ValidationError, KeyError, TypeError):
        raw = definition.get("destination_number") if isinstance(definition, dict) else None
        try:
            return to_e164(str(raw)) if raw else None
        except ValidationError:
            return None
    if "steps" not in flow:
        return None
    by_id = {str(step["id"]): step for step in flow["steps"]}
    queue = deque([str(flow["initial_step_id"])])
    seen = set(queue)
    while queue:
        step = by_id[queue.popleft()]
        if step["type"] == "dial":
            return step["destination_number"]
        if step["type"] in ("simultaneous", "round_robin"):
            return step["destination_numbers"][0]
        for ref in step_targets(step):
            if str(ref) not in seen:
                seen.add(str(ref))
                queue.append(str(ref))
    return None


def fallback_twiml(destination: str | None) -> str:
    """TwiML that still connects the caller when our own processing failed."""
    response = VoiceResponse()
    if destination:
        response.dial(destination)
    else:
        response.say("We are sorry, this call cannot be completed right now. Please try again later.")
        response.hangup()
    return str(response)


def unknown_number_twiml() -> str:
    response = VoiceResponse()
    response.say("We are sorry, the number you dialed is not in service. Please check the number and try again.")
    response.hangup()
    return str(response)


# --- the flows follow a deleted or renamed tag -------------------------------------------

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
        # Calls take their tracker's company; the flow's own company may add trackers later.
        run_by: dict[int, set[int]] = {flow.pk: {flow.company_id} for flow, _ in edits}
        trackers = Tracker.objects.filter(call_flow_id__in=run_by).values_list("call_flow_id", "company_id")
        for flow_id, company_id in trackers:
            run_by[flow_id].add(company_id)
        changed = 0
        for flow, definition in edits:
            companies = run_by[flow.pk]
            affected = {company_id for company_id in companies if finds(company_id)}
            if not affected:
                continue
            if affected != companies:
                logger.warning(
                    "call flow %s keeps %s: it also runs for companies %s, where that name is another tag",
                    flow.pk,
                    keeps,
                    sorted(companies - affected),
                )
                continue
            clashing = sorted(company_id for company_id in companies if clashes is not None and clashes(company_id))
            if clashing:
                logger.warning(
                    "call flow %s keeps %s: it runs for companies %s, where the new name is another tag",
                    flow.pk,
                    keeps,
                    clashing,
                )
                continue
            try:
                call_flow_validate(definition)
            except ValidationError as exc:
                logger.warning("call flow %s keeps %s: %s (%s)", flow.pk, keeps, invalid, "; ".join(exc.messages))
                continue
            flow.definition = definition
            flow.save(update_fields=["definition", "updated_at"])
            changed += 1
    return changed


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


# --- running a flow ----------------------------------------------------------------------


def source_label(source: str) -> str:
    """A caller-facing name for a classified source: ``google_paid`` → ``Google Paid``."""
    if not source:
        return ""
    if "." in source:
        return source
    return " ".join(part.capitalize() for part in source.split("_"))


@dataclass
class FlowRun:
    """One request's worth of a call's flow: renders TwiML and notes what changed on the call."""

    call: Call
    tracker: Tracker
    flow: dict[str, Any]
    response: VoiceResponse = field(default_factory=VoiceResponse)
    changed: set[str] = field(default_factory=set)
    # Tag steps run before the call row may exist; tags are applied once it does.
    pending_tags: list[str] = field(default_factory=list)

    @classmethod
    def for_call(cls, call: Call, tracker: Tracker) -> "FlowRun":
        return cls(call=call, tracker=tracker, flow=flow_steps(tracker.call_flow))

    @property
    def twiml(self) -> str:
        return str(self.response)

    # URLs Twilio calls back on; all carry the call id (and the step) in the query.
    def flow_url(self, step: dict[str, Any], event: str, **extra: object) -> str:
        return public_url(
            "telephony:twilio-flow", {"call": self.call.public_id, "step": step["id"], "event": event, **extra}
        )

    def step(self, step_id: int | str | None) -> dict[str, Any] | None:
        if step_id is None:
            return None
        for step in self.flow["steps"]:
            if str(step["id"]) == str(step_id):
                return step
        return None

    def _state(self) -> dict[str, Any]:
        self.changed.add("flow_state")
        return self.call.flow_state

    def _visit(self, step: dict[str, Any]) -> None:
        path = self._state().setdefault("path", [])
        if len(path) < 100:
            path.append(step["id"])

    def _say_prompt(self, target: VoiceResponse | Gather, step: dict[str, Any]) -> None:
        if step.get("prompt_type") == "recording" and step.get("prompt_recording_url"):
            target.play(step["prompt_recording_url"])
        elif step.get("prompt_text"):
            target.say(step["prompt_text"])

    def start(self) -> "FlowRun":
        self.render(self.flow["initial_step_id"])
        return self

    def render(self, step_id: int | str | None, hops: int = 0) -> "FlowRun":
        step = self.step(step_id)
        if step is None or hops > MAX_INLINE_HOPS:
            self.response.hangup()
            return self
        self._visit(step)
        kind = step["type"]
        if kind == "message":
            self._say_prompt(self.response, step)
            return self.render(step["next_step_id"], hops + 1)
        if kind == "tag":
            self._apply_tags(step["tags"])
            return self.render(step["next_step_id"], hops + 1)
        if kind == "schedule":
            target = step["open_step_id"] if self._is_open(step) else step["closed_step_id"]
            return self.render(target, hops + 1)
        if kind == "hangup":
            self._say_prompt(self.response, step)
            self.response.hangup()
        elif kind == "menu":
            self._menu(step, attempt=1)
        elif kind == "voicemail":
            self._voicemail(step)
        elif kind == "round_robin":
            self._dial(step, self._round_robin_order(step)[:1], attempt=0)
        elif kind == "simultaneous":
            self._dial(step, step["destination_numbers"], attempt=0)
        else:
            self._dial(step, [step["destination_number"]], attempt=0)
        return self

    # Steps -----------------------------------------------------------------------------

    def _dial(self, step: dict[str, Any], numbers: list[str], attempt: int) -> None:
        self._state()["dialed"] = True
        options: dict[str, Any] = {
            "action": self.flow_url(step, "dial", attempt=attempt),
            "timeout": step["timeout"],
            # The caller hears ringing until someone answers, as with a normal call.
            "answer_on_bridge": True,
        }
        if self.flow.get("recording_enabled"):
            options.update(
                record="record-from-answer-dual",
                recording_status_callback=public_url(
                    "telephony:twilio-recording", {"call": self.call.public_id, "kind": "call"}
                ),
                recording_status_callback_event="completed absent",
            )
        dial = Dial(**options)
        whisper = step.get("whisper_message") or self.tracker.whisper_message
        for number in numbers:
            noun: dict[str, Any] = {
                "status_callback": public_url("telephony:twilio-dial-status", {"call": self.call.public_id}),
                "status_callback_event": "answered completed",
            }
            if whisper:
                noun["url"] = public_url("telephony:twilio-whisper", {"call": self.call.public_id, "step": step["id"]})
            dial.number(number, **noun)
        self.response.append(dial)

    def _menu(self, step: dict[str, Any], attempt: int, notice: str | None = None) -> None:
        if notice:
            self.response.say(notice)
        action = self.flow_url(step, "gather", attempt=attempt)
        gather = Gather(num_digits=1, action=action, timeout=step["timeout"])
        self._say_prompt(gather, step)
        self.response.append(gather)
        # No key pressed: Twilio moves on to the next verb, which reports the silence.
        self.response.redirect(action)

    def _voicemail(self, step: dict[str, Any]) -> None:
        self._say_prompt(self.response, step)
        options: dict[str, Any] = {
            "action": self.flow_url(step, "record"),
            "max_length": step["max_length"],
            "finish_on_key": "#",
            "play_beep": True,
            "recording_status_callback": public_url(
                "telephony:twilio-recording", {"call": self.call.public_id, "kind": "voicemail"}
            ),
            "recording_status_callback_event": "completed absent",
        }
        if step.get("transcribe"):
            options["transcribe"] = True
            options["transcribe_callback"] = public_url("telephony:twilio-transcription", {"call": self.call.public_id})
        self.response.record(**options)

    def _apply_tags(self, names: list[str]) -> None:
        self.pending_tags.extend(name for name in names if name not in self.pending_tags)

    def apply_pending(self, call: Call) -> None:
        """Apply what needed the saved call row (tags from tag steps)."""
        for name in self.pending_tags:
            tag = (
                Tag.objects.filter(account_id=call.account_id, name=name, company_id=call.company_id).first()
                or Tag.objects.filter(account_id=call.account_id, name=name, company__isnull=True).first()
            )
            if tag is None:
                tag, _ = Tag.objects.get_or_create(
                    account_id=call.account_id, company_id=call.company_id, name=name, defaults={"tag_level": "company"}
                )
            if tag.status == Tag.Status.ENABLED:
                call.tags.add(tag)
        self.pending_tags = []

    def _is_open(self, step: dict[str, Any]) -> bool:
        zone = step.get("time_zone") or self.call.company.time_zone
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        local = self.call.start_time.astimezone(tz)
        if local.date().isoformat() in step.get("closed_dates", []):
            return False
        now = local.time().replace(tzinfo=None)
        for start, end in step["hours"].get(WEEKDAYS[local.weekday()], []):
            opens = time.fromisoformat(start)
            if now >= opens and (end == "24:00" or now < time.fromisoformat(end)):
                return True
        return False

    def _round_robin_order(self, step: dict[str, Any]) -> list[str]:
        """Who to ring, in order. A repeat caller starts with whoever took their last call;
        anyone else starts with the next person in turn."""
        state = self._state()
        orders = state.setdefault("rr_order", {})
        key = str(step["id"])
        if key in orders:
            return orders[key]
        members = step["destination_numbers"]
        first = self._previous_member(key, members)
        if first is None:
            try:
                turn = get_redis().incr(f"telephony:rr:{self.tracker.call_flow_id}:{key}") - 1
            except Exception:  # noqa: BLE001 - any Redis failure: fall back to the caller's hash
                logger.warning("round robin counter unavailable; using the caller's number")
                turn = zlib.crc32(self.call.customer_phone_number.encode())
            first = members[turn % len(members)]
        start = members.index(first)
        order = members[start:] + members[:start]
        orders[key] = order
        state.setdefault("rr", {})[key] = first
        return order

    def _previous_member(self, key: str, members: list[str]) -> str | None:
        previous = (
            Call.objects.filter(
                company_id=self.call.company_id,
                customer_phone_number=self.call.customer_phone_number,
                tracker__call_flow_id=self.tracker.call_flow_id,
            )
            .exclude(pk=self.call.pk)
            .order_by("-start_time")
            .values_list("flow_state", flat=True)[:10]
        )
        for state in previous:
            member = (state or {}).get("rr", {}).get(key)
            if member in members:
                return member
        return None

    # Callbacks -------------------------------------------------------------------------

    def on_dial(self, step_id: str, status: str, attempt: int, answered_by: str | None = None) -> "FlowRun":
        """Twilio finished a ``<Dial>``: the call was connected (and is over), or nobody answered."""
        step = self.step(step_id)
        if step is None:
            self.response.hangup()
            return self
        if status in ("completed", "answered"):
            if not self.call.answered:
                self.call.answered = True
                self.changed.add("answered")
            if step["type"] == "round_robin":
                order = self._round_robin_order(step)
                if 0 <= attempt < len(order):
                    self._state().setdefault("rr", {})[str(step["id"])] = order[attempt]
            if not self.call.business_phone_number and step["type"] != "simultaneous":
                number = answered_by or self._dialed_number(step, attempt)
                if number:
                    self.call.business_phone_number = number
                    self.changed.add("business_phone_number")
            self.response.hangup()
            return self
        if step["type"] == "round_robin":
            order = self._round_robin_order(step)
            if attempt + 1 < len(order):
                self._dial(step, [order[attempt + 1]], attempt=attempt + 1)
                return self
        if step.get("timeout_step_id") is not None:
            return self.render(step["timeout_step_id"])
        self.response.hangup()
        return self

    def _dialed_number(self, step: dict[str, Any], attempt: int) -> str | None:
        if step["type"] == "dial":
            return step["destination_number"]
        if step["type"] == "round_robin":
            order = self._round_robin_order(step)
            return order[attempt] if 0 <= attempt < len(order) else None
        return None

    def on_gather(self, step_id: str, digits: str, attempt: int) -> "FlowRun":
        step = self.step(step_id)
        if step is None or step["type"] != "menu":
            self.response.hangup()
            return self
        digits = (digits or "").strip()
        for option in step["menu_options"]:
            if digits == option["key"]:
                name = step.get("name") or step.get("prompt_text") or f"Menu {step['id']}"
                self.call.keypad_entries = [*self.call.keypad_entries, {"name": name, "value": digits}]
                self.changed.add("keypad_entries")
                return self.render(option["next_step_id"])
        if attempt <= step["repeat"]:
            self._menu(step, attempt=attempt + 1, notice=NOT_VALID_OPTION if digits else NO_INPUT)
            return self
        if step.get("no_input_step_id") is not None:
            return self.render(step["no_input_step_id"])
        self.response.say(GOODBYE)
        self.response.hangup()
        return self

    def on_record(self, step_id: str, recording_url: str, duration: int | None) -> "FlowRun":
        """``<Record>`` finished. Twilio may still be writing the file; the recording
        callback brings the final URL, so only the fact of a message is kept here."""
        step = self.step(step_id)
        if recording_url and (duration or 0) > 0:
            self.call.voicemail = True
            self.changed.add("voicemail")
            state = self._state()
            state["recording_expected"] = True
            # Twilio transcribes only recordings between 2 and 120 seconds.
            if step and step.get("transcribe") and 2 < (duration or 0) < 120:
                state["transcription_expected"] = True
            self.response.say(VOICEMAIL_THANKS)
        self.response.hangup()
        return self


def whisper_twiml(call: Call, tracker: Tracker, step_id: str | None) -> str:
    """What the business hears before being connected: the whisper with ``[source]`` filled in."""
    message = ""
    if step_id is not None:
        try:
            flow = FlowRun.for_call(call, tracker)
            step = flow.step(step_id)
            message = (step or {}).get("whisper_message") or ""
        except ValidationError:
            message = ""
    message = message or tracker.whisper_message
    source = source_label(call.source) or call.source_name or tracker.name
    response = VoiceResponse()
    if message:
        response.say(message.replace("[source]", source))
    return str(response)
