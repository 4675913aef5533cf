"""Playing a flow to a caller: ``FlowRun`` renders a step's TwiML and follows Twilio's
callbacks; the other TwiML answers (whisper, fallback, unknown number) are built here too."""

import logging
import zlib
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

from accounts.models import Tag
from accounts.services import tag_by_name
from callrail.redis import get_redis
from telephony.callflows.disclosure import RecordingPlan, announce, dial_recording_options
from telephony.callflows.validation import WEEKDAYS, flow_steps
from telephony.links import public_url
from telephony.models import Call
from telephony.twilio import Dial, Gather, VoiceResponse
from tracking.models import Tracker

logger = logging.getLogger(__name__)

MAX_INLINE_HOPS = 50

NOT_VALID_OPTION = "Sorry, that is not a valid option."
NO_INPUT = "Sorry, we did not receive a selection."
GOODBYE = "Thank you for calling. Goodbye."
VOICEMAIL_THANKS = "Thank you. Your message has been recorded. Goodbye."


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


def round_robin_key(call_flow_id: int | None, step_id: str) -> str:
    """The Redis counter of a round-robin step's turns."""
    return f"telephony:rr:{call_flow_id}:{step_id}"


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

    @cached_property
    def recording(self) -> RecordingPlan:
        return RecordingPlan.for_call(self.call.company, records=bool(self.flow.get("recording_enabled")))

    def start(self) -> "FlowRun":
        # A recorded call is announced before any greeting, menu or ring.
        if announce(self.response, self.call, self.recording):
            self._state()["recording_expected"] = True
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
        if self.recording.on_dial:
            options.update(dial_recording_options(self.call))
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
            tag = tag_by_name(account_id=call.account_id, company_id=call.company_id, name=name)
            # A disabled tag is not applied; the caller cannot be told, so it is skipped.
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
            first = members[self._next_turn(key) % len(members)]
        start = members.index(first)
        order = members[start:] + members[:start]
        orders[key] = order
        state.setdefault("rr", {})[key] = first
        return order

    def _next_turn(self, key: str) -> int:
        """Whose turn it is at this round-robin step, counted per flow (taking the turn)."""
        try:
            return int(get_redis().incr(round_robin_key(self.tracker.call_flow_id, key))) - 1
        except Exception:  # noqa: BLE001 - any Redis failure: fall back to the caller's hash
            logger.warning("round robin counter unavailable; using the caller's number")
            return zlib.crc32(self.call.customer_phone_number.encode())

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
            self._connected(step, attempt, answered_by)
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

    def _connected(self, step: dict[str, Any], attempt: int, answered_by: str | None) -> None:
        """Someone answered the dial (the conversation is over): note who."""
        if not self.call.answered:
            self.call.answered = True
            self.changed.add("answered")
        if step["type"] == "round_robin":
            order = self._round_robin_order(step)
            if 0 <= attempt < len(order):
                # The next call from this caller starts with whoever answered this one.
                self._state().setdefault("rr", {})[str(step["id"])] = order[attempt]
        if not self.call.business_phone_number and step["type"] != "simultaneous":
            number = answered_by or self._dialed_number(step, attempt)
            if number:
                self.call.business_phone_number = number
                self.changed.add("business_phone_number")

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
