"""Checking a ``call_flow`` object (``call_flow_validate``) and putting it in step form
(``as_steps``, ``flow_steps``): what the API, the admin and the runtime rely on."""

import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Literal, overload
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

from accounts.phone import to_e164

DIAL_TYPES = frozenset({"dial", "simultaneous", "round_robin"})
STEP_TYPES = DIAL_TYPES | {"menu", "voicemail", "schedule", "tag", "message", "hangup"}
# Steps that run without waiting for the caller; a loop made only of these would never end.
INLINE_TYPES = frozenset({"schedule", "tag", "message"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MENU_KEYS = frozenset("0123456789*#")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_STEPS = 100
DEFAULT_DIAL_TIMEOUT = 30
DEFAULT_MENU_TIMEOUT = 5
DEFAULT_MENU_REPEAT = 2
DEFAULT_VOICEMAIL_MAX_LENGTH = 120
BASIC_DIAL_STEP = "dial"
BASIC_GREETING_STEP = "greeting"


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


@overload
def _step_ref(value: Any, path: str, required: Literal[True]) -> int | str: ...
@overload
def _step_ref(value: Any, path: str, required: bool = False) -> int | str | None: ...
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


def _dial_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if step["type"] == "dial":
        out["destination_number"] = _number(step.get("destination_number"), f"{path}.destination_number")
    else:
        out["destination_numbers"] = _numbers(step.get("destination_numbers"), f"{path}.destination_numbers", 2)
    out["timeout"] = _int(step.get("timeout"), f"{path}.timeout", DEFAULT_DIAL_TIMEOUT, 5, 600)
    out["timeout_step_id"] = _step_ref(step.get("timeout_step_id"), f"{path}.timeout_step_id")
    out["whisper_message"] = _text(step.get("whisper_message"), f"{path}.whisper_message", max_length=255)
    return out


def _menu_options(options: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(options, list) or not options:
        raise _error(path, "must list at least one option.")
    keys: set[str] = set()
    out = []
    for position, option in enumerate(options):
        where = f"{path}[{position}]"
        if not isinstance(option, dict):
            raise _error(where, "must be an object.")
        key = str(option.get("key", "")).strip()
        if key not in MENU_KEYS:
            raise _error(f"{where}.key", "must be one key: 0-9, * or #.")
        if key in keys:
            raise _error(f"{where}.key", f"key {key} is used twice.")
        keys.add(key)
        out.append(
            {
                "key": key,
                "description": _text(option.get("description"), f"{where}.description", max_length=255) or "",
                "next_step_id": _step_ref(option.get("next_step_id"), f"{where}.next_step_id", required=True),
            }
        )
    return out


def _menu_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _prompt(step, path, out, required=True)
    out["menu_options"] = _menu_options(step.get("menu_options"), f"{path}.menu_options")
    out["timeout"] = _int(step.get("timeout"), f"{path}.timeout", DEFAULT_MENU_TIMEOUT, 1, 60)
    out["repeat"] = _int(step.get("repeat"), f"{path}.repeat", DEFAULT_MENU_REPEAT, 0, 5)
    out["no_input_step_id"] = _step_ref(step.get("no_input_step_id"), f"{path}.no_input_step_id")
    return out


def _voicemail_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _prompt(step, path, out, required=False)
    out["transcribe"] = _bool(step.get("transcribe"), f"{path}.transcribe")
    out["max_length"] = _int(step.get("max_length"), f"{path}.max_length", DEFAULT_VOICEMAIL_MAX_LENGTH, 5, 3600)
    return out


def _schedule_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    zone = _text(step.get("time_zone"), f"{path}.time_zone", max_length=64)
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _error(f"{path}.time_zone", f"unknown time zone {zone!r}.") from exc
    return {
        "time_zone": zone,
        "hours": _hours(step.get("hours"), f"{path}.hours"),
        "closed_dates": _dates(step.get("closed_dates"), f"{path}.closed_dates"),
        "open_step_id": _step_ref(step.get("open_step_id"), f"{path}.open_step_id", required=True),
        "closed_step_id": _step_ref(step.get("closed_step_id"), f"{path}.closed_step_id", required=True),
    }


def _tag_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    tags = step.get("tags")
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not tags:
        raise _error(f"{path}.tags", "must list at least one tag name.")
    return {
        "tags": [_text(name, f"{path}.tags[{i}]", required=True, max_length=100) for i, name in enumerate(tags)],
        "next_step_id": _step_ref(step.get("next_step_id"), f"{path}.next_step_id", required=True),
    }


def _message_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _prompt(step, path, out, required=True)
    out["next_step_id"] = _step_ref(step.get("next_step_id"), f"{path}.next_step_id", required=True)
    return out


def _hangup_fields(step: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _prompt(step, path, out, required=False)
    return out


# The checked fields of each step type, after its id, type and name.
_STEP_FIELDS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    **dict.fromkeys(DIAL_TYPES, _dial_fields),
    "menu": _menu_fields,
    "voicemail": _voicemail_fields,
    "schedule": _schedule_fields,
    "tag": _tag_fields,
    "message": _message_fields,
    "hangup": _hangup_fields,
}


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
    out.update(_STEP_FIELDS[kind](step, path))
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


def _walk(by_id: dict[str, dict[str, Any]], initial: int | str) -> Iterator[dict[str, Any]]:
    """The steps reachable from ``initial``, breadth first (nearest first), each once."""
    seen = {str(initial)}
    queue = deque([str(initial)])
    while queue:
        step = by_id[queue.popleft()]
        yield step
        for ref in step_targets(step):
            if str(ref) not in seen:
                seen.add(str(ref))
                queue.append(str(ref))


def _inline_loops_check(by_id: dict[str, dict[str, Any]], steps: list[dict[str, Any]]) -> None:
    """A loop through schedule/tag/message steps alone would spin without the caller."""
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(step_id: str) -> None:
        state[step_id] = 1
        for ref in step_targets(by_id[step_id]):
            if by_id[str(ref)]["type"] not in INLINE_TYPES:
                continue
            if state.get(str(ref)) == 1:
                raise _error(".steps", f"steps loop back to {ref!r} without waiting for the caller.")
            if str(ref) not in state:
                visit(str(ref))
        state[step_id] = 2

    for step in steps:
        if step["type"] in INLINE_TYPES and str(step["id"]) not in state:
            visit(str(step["id"]))


def _validate_graph(initial: int | str, steps: list[dict[str, Any]]) -> None:
    by_id = {str(step["id"]): step for step in steps}
    if str(initial) not in by_id:
        raise _error(".initial_step_id", f"no step has id {initial!r}.")
    for index, step in enumerate(steps):
        for ref in step_targets(step):
            if str(ref) not in by_id:
                raise _error(f".steps[{index}]", f"refers to step {ref!r}, which does not exist.")
    reachable = {str(step["id"]) for step in _walk(by_id, initial)}
    unreachable = [step["id"] for step in steps if str(step["id"]) not in reachable]
    if unreachable:
        raise _error(".steps", f"step {unreachable[0]!r} can never be reached from the initial step.")
    _inline_loops_check(by_id, steps)


def call_flow_validate(definition: object) -> dict:
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


def flow_steps_forget() -> None:
    """Drop the validated flows of this process (a flow, tracker or number changed)."""
    _flows.clear()


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
    for step in _walk(by_id, flow["initial_step_id"]):
        if step["type"] == "dial":
            return step["destination_number"]
        if step["type"] in ("simultaneous", "round_robin"):
            return step["destination_numbers"][0]
    return None
