"""The call flow builder's form: an advanced flow as a tree of step forms, and back.

Each step is a group of inputs named ``s<n>-<field>`` (``n`` its place in the form), read
into a draft in the API's ``call_flow`` shape; the draft is checked by the same
``call_flow_validate`` as the API when saved, and its problems are shown on the step they
name (``call_flow.steps[2].timeout: …`` belongs to the third step saved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from accounts.phone import formatted
from telephony.callflows.describe import STEP_TYPE_LABELS
from telephony.callflows.validation import DIAL_TYPES, WEEKDAYS

# Step kinds in the order the "Add a step" menu offers them.
ADDABLE = ("menu", "dial", "simultaneous", "round_robin", "voicemail", "schedule", "message", "tag", "hangup")
BLANK_OPTIONS = 2  # empty menu-option rows offered under a menu's options
_STEP_ERROR = re.compile(r"^call_flow\.steps\[(\d+)\](?:\.(\S+))?: (.*)$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


def _ref(value: str | None) -> int | str | None:
    """A step id as typed: digits become a number, as the API's examples write them."""
    text = (value or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _int(value: str | None) -> int | str | None:
    text = (value or "").strip()
    return None if not text else (int(text) if text.isdigit() else text)


def _lines(value: str | None, separators: str = "\n,") -> list[str]:
    text = value or ""
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return [part.strip() for part in text.split(separators[0]) if part.strip()]


def _time(text: str) -> str | None:
    """``9`` / ``9:30`` / ``5pm`` / ``17:00`` → ``HH:MM`` (None when it is not a time)."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def hours_parse(text: str) -> list[list[str]] | None:
    """``9-17, 18:00-20:00`` → ``[["09:00", "17:00"], ["18:00", "20:00"]]``; ``[]`` for a
    closed day; None when it cannot be read."""
    ranges = []
    for part in _lines(text, ","):
        pieces = re.split(r"\s*(?:-|–|—|\bto\b)\s*", part)
        if part.lower() == "closed":
            continue
        if len(pieces) != 2:
            return None
        start, end = _time(pieces[0]), _time(pieces[1])
        if start is None or end is None:
            return None
        ranges.append([start, end])
    return ranges


def hours_text(ranges: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges)


@dataclass
class Draft:
    """A flow being edited: the API's shape, plus where each step sits in the form."""

    name: str
    recording_enabled: bool
    initial_step_id: int | str | None
    steps: list[dict[str, Any]]
    positions: list[int] = field(default_factory=list)  # form place of each step
    errors: dict[int, list[str]] = field(default_factory=dict)  # form place -> problems
    general_errors: list[str] = field(default_factory=list)

    @classmethod
    def from_flow(cls, name: str, definition: dict[str, Any]) -> Draft:
        steps = [dict(step) for step in definition.get("steps", [])]
        return cls(
            name=name,
            recording_enabled=bool(definition.get("recording_enabled")),
            initial_step_id=definition.get("initial_step_id"),
            steps=steps,
            positions=list(range(len(steps))),
        )

    def definition(self) -> dict[str, Any]:
        return {
            "type": "advanced",
            "recording_enabled": self.recording_enabled,
            "initial_step_id": self.initial_step_id,
            "steps": self.steps,
        }

    def next_id(self) -> int:
        numbers = [step["id"] for step in self.steps if isinstance(step.get("id"), int)]
        return max(numbers, default=0) + 1

    def add(self, kind: str) -> dict[str, Any]:
        """A new step of ``kind`` at the end (not yet linked from any step)."""
        step_id = self.next_id()
        step = blank_step(kind, step_id)
        self.steps.append(step)
        self.positions.append(max(self.positions, default=-1) + 1)
        if self.initial_step_id is None:
            self.initial_step_id = step_id
        return step

    def place_errors(self, messages: list[str]) -> None:
        """Put the validation's messages on the steps they are about."""
        for message in messages:
            match = _STEP_ERROR.match(message)
            if match and int(match.group(1)) < len(self.positions):
                where = match.group(2) or ""
                text = f"{_field_words(where)}: {match.group(3)}" if where else match.group(3)
                self.errors.setdefault(self.positions[int(match.group(1))], []).append(text)
            else:
                self.general_errors.append(message.removeprefix("call_flow").lstrip(".: ") or message)


def _field_words(path: str) -> str:
    """``menu_options[0].next_step_id`` → ``Option 1, next step``."""
    words = {
        "destination_number": "Phone",
        "destination_numbers": "Phones",
        "timeout": "Ring for",
        "timeout_step_id": "If nobody answers",
        "prompt_text": "Says",
        "prompt_recording_url": "Recording",
        "menu_options": "Options",
        "key": "key",
        "next_step_id": "next step",
        "no_input_step_id": "Without a key",
        "max_length": "Longest message",
        "hours": "Open hours",
        "closed_dates": "Closed on",
        "time_zone": "Time zone",
        "open_step_id": "When open",
        "closed_step_id": "When closed",
        "tags": "Tags",
        "repeat": "Asks again",
    }
    parts = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        label = words.get(name, name.replace("_", " "))
        if name == "menu_options" and index:
            label = f"Option {int(index.rstrip(']')) + 1}"
        elif index and name not in ("menu_options",):
            label = f"{label} {int(index.rstrip(']')) + 1}" if index.rstrip("]").isdigit() else label
        parts.append(label)
    return ", ".join(parts)


def blank_step(kind: str, step_id: int) -> dict[str, Any]:
    step: dict[str, Any] = {"id": step_id, "type": kind, "name": f"{STEP_TYPE_LABELS[kind]} {step_id}"}
    if kind in DIAL_TYPES:
        step.update(timeout=30, timeout_step_id=None, whisper_message=None)
        if kind == "dial":
            step["destination_number"] = ""
        else:
            step["destination_numbers"] = []
    elif kind == "menu":
        step.update(prompt_text="", menu_options=[], timeout=5, repeat=2, no_input_step_id=None)
    elif kind == "voicemail":
        step.update(prompt_text="Please leave a message after the tone.", transcribe=True, max_length=120)
    elif kind == "schedule":
        weekdays = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
        step.update(time_zone=None, hours=weekdays, closed_dates=[], open_step_id=None, closed_step_id=None)
    elif kind == "tag":
        step.update(tags=[], next_step_id=None)
    elif kind == "message":
        step.update(prompt_text="", next_step_id=None)
    else:
        step["prompt_text"] = ""
    return step


# --- reading the form -------------------------------------------------------------------------


def _prompt(post: QueryDict, prefix: str) -> dict[str, Any]:
    url = post.get(prefix + "prompt_recording_url", "").strip()
    out: dict[str, Any] = {"prompt_text": post.get(prefix + "prompt_text", "").strip()}
    if url:
        out.update(prompt_type="recording", prompt_recording_url=url)
    return out


def _step_fields(kind: str, post: QueryDict, prefix: str) -> tuple[dict[str, Any], list[str]]:
    """The type's own fields of one step, and what could not be read."""
    get = post.get
    problems: list[str] = []
    out: dict[str, Any] = {}
    if kind in DIAL_TYPES:
        if kind == "dial":
            out["destination_number"] = get(prefix + "destination_number", "").strip()
        else:
            out["destination_numbers"] = _lines(get(prefix + "destination_numbers"))
        out["timeout"] = _int(get(prefix + "timeout"))
        out["timeout_step_id"] = _ref(get(prefix + "timeout_step_id"))
        out["whisper_message"] = get(prefix + "whisper_message", "").strip() or None
    elif kind == "menu":
        out.update(_prompt(post, prefix))
        out["menu_options"] = [
            {
                "key": get(f"{prefix}o{n}-key", "").strip(),
                "description": get(f"{prefix}o{n}-description", "").strip(),
                "next_step_id": _ref(get(f"{prefix}o{n}-next")),
            }
            for n in range(int(get(prefix + "options", "0") or 0))
            if get(f"{prefix}o{n}-key", "").strip() or get(f"{prefix}o{n}-next", "").strip()
        ]
        out["timeout"], out["repeat"] = _int(get(prefix + "timeout")), _int(get(prefix + "repeat"))
        out["no_input_step_id"] = _ref(get(prefix + "no_input_step_id"))
    elif kind == "voicemail":
        out.update(_prompt(post, prefix))
        out["transcribe"] = bool(get(prefix + "transcribe"))
        out["max_length"] = _int(get(prefix + "max_length"))
    elif kind == "schedule":
        out.update(_schedule(post, prefix, problems))
    elif kind == "tag":
        out["tags"] = _lines(get(prefix + "tags"), ",\n")
        out["next_step_id"] = _ref(get(prefix + "next_step_id"))
    elif kind == "message":
        out.update(_prompt(post, prefix))
        out["next_step_id"] = _ref(get(prefix + "next_step_id"))
    else:
        out.update(_prompt(post, prefix))
    return out, problems


def _schedule(post: QueryDict, prefix: str, problems: list[str]) -> dict[str, Any]:
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        text = post.get(f"{prefix}hours-{day}", "")
        ranges = hours_parse(text)
        if ranges is None:
            problems.append(f"{day.capitalize()}: write the hours as 09:00-17:00 (or leave it empty when closed).")
            ranges = []
        hours[day] = ranges
    return {
        "time_zone": post.get(prefix + "time_zone", "").strip() or None,
        "hours": hours,
        "closed_dates": _lines(post.get(prefix + "closed_dates"), ",\n "),
        "open_step_id": _ref(post.get(prefix + "open_step_id")),
        "closed_step_id": _ref(post.get(prefix + "closed_step_id")),
    }


def draft_from_post(post: QueryDict) -> Draft:
    """The flow as the builder's form has it now (removed steps left out)."""
    draft = Draft(
        name=post.get("name", "").strip(),
        recording_enabled=bool(post.get("recording_enabled")),
        initial_step_id=_ref(post.get("initial_step_id")),
        steps=[],
    )
    count = min(int(post.get("steps", "0") or 0) if post.get("steps", "0").isdigit() else 0, 200)
    for place in range(count):
        prefix = f"s{place}-"
        kind = post.get(prefix + "type", "")
        if kind not in STEP_TYPE_LABELS or post.get(prefix + "remove"):
            continue
        fields, problems = _step_fields(kind, post, prefix)
        step = {"id": _ref(post.get(prefix + "id")), "type": kind, "name": post.get(prefix + "name", "").strip()}
        draft.steps.append({**step, **fields})
        draft.positions.append(place)
        if problems:
            draft.errors.setdefault(place, []).extend(problems)
    removed = {_ref(post.get(f"s{p}-id")) for p in range(count) if post.get(f"s{p}-remove")}
    _forget(draft, removed)
    return draft


def _forget(draft: Draft, removed: set[Any]) -> None:
    """Links to removed steps lead nowhere now (a menu loses that option)."""
    if not removed:
        return
    names = {str(step_id) for step_id in removed}
    for step in draft.steps:
        for key in ("timeout_step_id", "no_input_step_id", "next_step_id", "open_step_id", "closed_step_id"):
            if str(step.get(key)) in names:
                step[key] = None
        if "menu_options" in step:
            step["menu_options"] = [o for o in step["menu_options"] if str(o["next_step_id"]) not in names]
    if str(draft.initial_step_id) in names:
        draft.initial_step_id = draft.steps[0]["id"] if draft.steps else None


# --- showing the form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepCard:
    """One step's group of inputs, ``depth`` levels below the step that first leads to it."""

    place: int
    step: dict[str, Any]
    depth: int
    connected: bool
    errors: list[str]
    options: list[dict[str, Any]]  # menu options, with blank rows to add more
    hours: list[tuple[str, str]]  # (weekday, "09:00-17:00") for schedules
    numbers_text: str  # a ring step's phones, one per line

    @property
    def prefix(self) -> str:
        """The start of the step's input names."""
        return f"s{self.place}-"

    @property
    def label(self) -> str:
        return STEP_TYPE_LABELS.get(self.step["type"], self.step["type"])

    @property
    def title(self) -> str:
        return self.step.get("name") or f"{self.label} {self.step['id']}"


def _targets(step: dict[str, Any]) -> list[Any]:
    """The steps a step can lead to, menu options first."""
    refs = [option.get("next_step_id") for option in step.get("menu_options", [])]
    refs += [step.get(key) for key in ("timeout_step_id", "no_input_step_id", "next_step_id", "open_step_id")]
    refs.append(step.get("closed_step_id"))
    return [ref for ref in refs if ref is not None]


def _tree_order(draft: Draft) -> list[tuple[int, int]]:
    """(index in the draft, depth) from the first step, depth first; unlinked steps last."""
    by_id = {str(step["id"]): index for index, step in enumerate(draft.steps)}
    order: list[tuple[int, int]] = []
    seen: set[int] = set()

    def visit(index: int, depth: int) -> None:
        seen.add(index)
        order.append((index, depth))
        for ref in _targets(draft.steps[index]):
            target = by_id.get(str(ref))
            if target is not None and target not in seen:
                visit(target, min(depth + 1, 6))

    start = by_id.get(str(draft.initial_step_id))
    if start is not None:
        visit(start, 0)
    connected = len(order)
    order += [(index, 0) for index in range(len(draft.steps)) if index not in seen]
    return order[:connected] + [(index, -1) for index, _ in order[connected:]]


def step_cards(draft: Draft) -> list[StepCard]:
    cards = []
    for index, depth in _tree_order(draft):
        step = draft.steps[index]
        options = [dict(option) for option in step.get("menu_options", [])]
        if step["type"] == "menu":
            options += [{"key": "", "description": "", "next_step_id": None} for _ in range(BLANK_OPTIONS)]
        hours = [(day, hours_text(step.get("hours", {}).get(day, []))) for day in WEEKDAYS]
        numbers = step.get("destination_numbers") or []
        place = draft.positions[index] if index < len(draft.positions) else index
        cards.append(
            StepCard(
                place=place,
                step=step,
                depth=max(depth, 0),
                connected=depth >= 0,
                errors=draft.errors.get(place, []),
                options=options,
                hours=hours if step["type"] == "schedule" else [],
                numbers_text="\n".join(formatted(number) or number for number in numbers),
            )
        )
    return cards
