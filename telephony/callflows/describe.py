"""A call flow in words: what each step does and what the caller hears, in the order a
call can reach the steps (the preview beside the dashboard's flow builder, and the path of
a test call)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from accounts.phone import formatted
from telephony.callflows.validation import DIAL_TYPES, WEEKDAYS, step_targets

STEP_TYPE_LABELS = {
    "menu": "Menu",
    "dial": "Ring a phone",
    "simultaneous": "Ring phones at once",
    "round_robin": "Ring phones in turn",
    "voicemail": "Voicemail",
    "schedule": "Open hours",
    "tag": "Tag the call",
    "message": "Message",
    "hangup": "Hang up",
}


def step_title(step: dict[str, Any]) -> str:
    """The step's own name, else its kind and id (``Menu 1``)."""
    return step.get("name") or f"{STEP_TYPE_LABELS.get(step['type'], step['type'])} {step['id']}"


def _phones(numbers: list[str]) -> str:
    shown = [formatted(number) or number for number in numbers]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def caller_hears(step: dict[str, Any]) -> str:
    """What the step plays to the caller ('' for nothing)."""
    if step.get("prompt_type") == "recording" and step.get("prompt_recording_url"):
        return f"a recording ({step['prompt_recording_url'].rsplit('/', 1)[-1]})"
    text = step.get("prompt_text") or ""
    return f"“{text}”" if text else ""


def _hours(step: dict[str, Any]) -> str:
    """``Mon–Fri 09:00–17:00, Sat 10:00–14:00`` (following days with the same hours grouped)."""
    groups: list[tuple[list[int], str]] = []
    for index, day in enumerate(WEEKDAYS):
        ranges = ", ".join(f"{start}–{end}" for start, end in step["hours"].get(day, []))
        if not ranges:
            continue
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == index - 1:
            groups[-1][0].append(index)
        else:
            groups.append(([index], ranges))
    if not groups:
        return "never"
    parts = []
    for days, ranges in groups:
        first, last = WEEKDAYS[days[0]][:3].capitalize(), WEEKDAYS[days[-1]][:3].capitalize()
        parts.append(f"{first}–{last} {ranges}" if len(days) > 1 else f"{first} {ranges}")
    return ", ".join(parts)


class _Namer:
    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self.by_id = {str(step["id"]): step for step in steps}

    def __call__(self, step_id: Any, otherwise: str = "hangs up") -> str:
        if step_id is None or str(step_id) not in self.by_id:
            return otherwise
        return f"goes to “{step_title(self.by_id[str(step_id)])}”"


def _dial_summary(step: dict[str, Any], name: _Namer) -> str:
    numbers = [step["destination_number"]] if step["type"] == "dial" else step["destination_numbers"]
    how = {"dial": "Rings", "simultaneous": "Rings at once", "round_robin": "Rings one after another"}[step["type"]]
    whisper = f" The person answering hears “{step['whisper_message']}” first." if step.get("whisper_message") else ""
    return (
        f"{how} {_phones(numbers)} for up to {step['timeout']} seconds; if nobody answers, "
        f"{name(step.get('timeout_step_id'))}.{whisper}"
    )


def _menu_summary(step: dict[str, Any], name: _Namer) -> str:
    options = "; ".join(f"{option['key']} {name(option['next_step_id'])}" for option in step["menu_options"])
    heard = caller_hears(step) or "nothing"
    return (
        f"Plays {heard} and waits {step['timeout']} seconds for a key: {options}. Without a valid key it asks "
        f"again up to {step['repeat']} times, then {name(step.get('no_input_step_id'), 'says goodbye and hangs up')}."
    )


def step_summary(step: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """One plain sentence (or two) on what the step does."""
    name = _Namer(steps)
    kind = step["type"]
    heard = caller_hears(step)
    if kind in DIAL_TYPES:
        return _dial_summary(step, name)
    if kind == "menu":
        return _menu_summary(step, name)
    if kind == "voicemail":
        transcribed = ", transcribed" if step.get("transcribe") else ""
        plays = f"Plays {heard}, then records" if heard else "Records"
        return f"{plays} a message of up to {step['max_length']} seconds{transcribed}."
    if kind == "schedule":
        zone = step.get("time_zone") or "the company's time zone"
        return f"Open {_hours(step)} ({zone}): {name(step['open_step_id'])}; otherwise {name(step['closed_step_id'])}."
    if kind == "tag":
        tags = ", ".join(f"“{tag}”" for tag in step["tags"])
        return f"Tags the call {tags}, then {name(step['next_step_id'])}."
    if kind == "message":
        return f"Plays {heard or 'nothing'}, then {name(step['next_step_id'])}."
    return f"Plays {heard}, then hangs up." if heard else "Hangs up."


@dataclass(frozen=True)
class PreviewStep:
    """A step as the preview lists it: ``depth`` levels below the step that first leads to
    it (a tree; a step reached again is not repeated)."""

    step: dict[str, Any]
    depth: int
    title: str
    summary: str
    hears: str
    reachable: bool = True


def _tree(by_id: dict[str, dict[str, Any]], step_id: str, depth: int, seen: set[str]) -> Iterator[tuple[str, int]]:
    seen.add(step_id)
    yield step_id, depth
    for ref in step_targets(by_id[step_id]):
        if str(ref) in by_id and str(ref) not in seen:
            yield from _tree(by_id, str(ref), depth + 1, seen)


def flow_preview(flow: dict[str, Any]) -> list[PreviewStep]:
    """A validated flow in step form (``as_steps``), as a tree from its first step; steps
    nothing leads to yet come last (a flow being built may have them)."""
    steps = flow["steps"]
    by_id = {str(step["id"]): step for step in steps}
    order: list[tuple[str, int]] = []
    seen: set[str] = set()
    if str(flow["initial_step_id"]) in by_id:
        order = list(_tree(by_id, str(flow["initial_step_id"]), 0, seen))
    preview = [
        PreviewStep(
            step=by_id[step_id],
            depth=depth,
            title=step_title(by_id[step_id]),
            summary=step_summary(by_id[step_id], steps),
            hears=caller_hears(by_id[step_id]),
        )
        for step_id, depth in order
    ]
    for step in steps:
        if str(step["id"]) not in seen:
            preview.append(
                PreviewStep(step, 0, step_title(step), step_summary(step, steps), caller_hears(step), reachable=False)
            )
    return preview
