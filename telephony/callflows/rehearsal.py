"""Test calls: a call flow played through the simulated carrier without a real call.

``flow_rehearse`` drives ``CallSimulator`` (Twilio's side: it follows the TwiML, presses the
caller's keys, rings phones with the chosen outcome) but hands each request to the call
flow's own runtime (``FlowRun``) in this process instead of the webhooks. The call lives
only in memory: nothing is written (no Call row, no tag, no round-robin turn taken, no
webhook or notification), so test calls never show in the call log or the reports.
What happened comes back step by step, as the caller and the business would hear it.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.urls import reverse

from accounts.models import Company
from accounts.phone import formatted
from callrail.redis import get_redis
from telephony.call_simulator import OUTCOMES, CallSimulator, LocalAnswer, SimulatorError
from telephony.callflows.describe import step_summary, step_title
from telephony.callflows.runtime import FlowRun, round_robin_key, whisper_twiml
from telephony.models import Call
from telephony.twilio import twilio_int
from tracking.models import CallFlow, Tracker

logger = logging.getLogger(__name__)

OUTCOME_LABELS = {
    "answered": "Someone answers",
    "no-answer": "Nobody answers",
    "busy": "The line is busy",
    "voicemail": "Nobody answers; the caller leaves a message",
}
assert set(OUTCOME_LABELS) == set(OUTCOMES)
TEST_CALLER_NAME = "Test call"


@dataclass(frozen=True)
class TraceEntry:
    """One thing that happened: ``kind`` is step, keys, ring, business, hears, end or error."""

    kind: str
    text: str
    detail: str = ""
    step_id: str = ""


@dataclass
class Rehearsal:
    """The outcome of a test call."""

    entries: list[TraceEntry] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # the step ids visited, in order
    answered: bool = False
    answered_by: str = ""
    voicemail: bool = False
    keys: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str, detail: str = "", step_id: str = "") -> None:
        self.entries.append(TraceEntry(kind, text, detail, step_id))


class _RehearsalRun(FlowRun):
    """The runtime, but a round robin only looks at whose turn it is, without taking it."""

    def _next_turn(self, key: str) -> int:
        try:
            return int(get_redis().get(round_robin_key(self.tracker.call_flow_id, key)) or 0)
        except Exception:  # noqa: BLE001 - no counter: the first member's turn
            return 0


def _says(twiml: str) -> list[str]:
    """The text of the ``<Say>`` verbs directly in a TwiML answer."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return []
    return [(verb.text or "").strip() for verb in root if verb.tag == "Say" and (verb.text or "").strip()]


class _InProcessTwilio:
    """The webhooks' part of a call, played against an in-memory call (the transport of
    ``CallSimulator``)."""

    def __init__(self, *, flow: CallFlow, company: Company, caller: str, at: datetime, result: Rehearsal) -> None:
        # Unsaved rows: the runtime reads them like saved ones, and nothing is written.
        self.tracker = Tracker(
            account_id=company.account_id, company=company, name=TEST_CALLER_NAME, call_flow=flow, type="source"
        )
        self.call = Call(
            account_id=company.account_id,
            company=company,
            tracker=self.tracker,
            direction=Call.Direction.INBOUND,
            start_time=at,
            tracking_phone_number="",
            customer_phone_number=caller,
            flow_state={},
            keypad_entries=[],
        )
        self.result = result
        self.steps: list[dict[str, Any]] = []
        self.routes: dict[str, Callable[[dict[str, list[str]], dict[str, str]], str]] = {
            reverse("telephony:twilio-voice"): self._voice,
            reverse("telephony:twilio-flow"): self._flow,
            reverse("telephony:twilio-whisper"): self._whisper,
        }
        # Status, recording and transcription callbacks change only the call row: none here.
        self.ignored = {
            reverse(f"telephony:{name}")
            for name in ("twilio-status", "twilio-dial-status", "twilio-recording", "twilio-transcription")
        }

    def post(self, url: str, *, data: dict[str, str], headers: dict[str, str], timeout: float) -> LocalAnswer:
        """A ``call_simulator.Transport``: the request answered by the flow in memory."""
        parts = urlsplit(url)
        path = next((route for route in self.routes if parts.path.endswith(route)), None)
        if path is None:
            if any(parts.path.endswith(route) for route in self.ignored):
                return LocalAnswer(204, "")
            return LocalAnswer(404, f"no webhook at {parts.path}")
        return LocalAnswer(200, self.routes[path](parse_qs(parts.query), data))

    def _run(self) -> FlowRun:
        run = _RehearsalRun.for_call(self.call, self.tracker)
        self.steps = run.flow["steps"]
        return run

    def _visited(self, run: FlowRun, before: int) -> bool:
        """Report the steps this request went through; whether there were any."""
        path = self.call.flow_state.get("path", [])
        for step_id in path[before:]:
            step = run.step(step_id)
            if step is not None:
                self.result.path.append(str(step_id))
                self.result.add("step", step_title(step), step_summary(step, self.steps), str(step_id))
        return len(path) > before

    def _voice(self, query: dict[str, list[str]], params: dict[str, str]) -> str:
        run = self._run().start()
        self._visited(run, 0)
        return run.twiml

    def _flow(self, query: dict[str, list[str]], params: dict[str, str]) -> str:
        event = (query.get("event") or [""])[0]
        step_id = (query.get("step") or [""])[0]
        attempt = int((query.get("attempt") or ["0"])[0] or 0)
        before = len(self.call.flow_state.get("path", []))
        run = self._run()
        if event == "dial":
            run.on_dial(step_id, params.get("DialCallStatus", ""), attempt)
        elif event == "gather":
            run.on_gather(step_id, params.get("Digits", ""), attempt)
        elif event == "record":
            run.on_record(step_id, params.get("RecordingUrl", ""), twilio_int(params, "RecordingDuration"))
        else:
            run.response.hangup()
        if not self._visited(run, before):
            for text in _says(run.twiml):
                self.result.add("hears", f"The caller hears “{text}”")
        return run.twiml

    def _whisper(self, query: dict[str, list[str]], params: dict[str, str]) -> str:
        step = (query.get("step") or [""])[0] or None
        twiml = whisper_twiml(self.call, self.tracker, step)
        for text in _says(twiml):
            self.result.add("business", f"Before the call is connected, the person answering hears “{text}”")
        return twiml


def _note(result: Rehearsal) -> Callable[[str, dict[str, str]], None]:
    def note(kind: str, data: dict[str, str]) -> None:
        if kind == "keys":
            digit = data.get("digit", "")
            result.keys.append(digit)
            result.add("keys", f"The caller presses {digit}" if digit else "The caller presses nothing")
        elif kind == "ring":
            phones = ", ".join(formatted(n) or n for n in data.get("numbers", "").split(",") if n)
            outcome = {"answered": "answered", "busy": "busy", "no-answer": "no answer"}.get(data.get("outcome", ""))
            result.add("ring", f"Rings {phones}: {outcome or data.get('outcome', '')}")
        elif kind == "message":
            result.add("keys", f"The caller leaves a {data.get('seconds', '')}-second message")
        elif kind == "beep":
            result.add("keys", "The caller hangs up at the beep without leaving a message")

    return note


def flow_rehearse(
    *, flow: CallFlow, company: Company, caller: str, digits: str, at: datetime, outcome: str
) -> Rehearsal:
    """Play ``flow`` for a call from ``caller`` at ``at`` (its schedule steps read the time
    in their own zone or the company's), the caller pressing ``digits`` one per menu, and
    every phone rung giving ``outcome`` (one of ``call_simulator.OUTCOMES``)."""
    result = Rehearsal()
    twilio = _InProcessTwilio(flow=flow, company=company, caller=caller, at=at, result=result)
    simulator = CallSimulator(
        base_url=settings.PUBLIC_BASE_URL,
        to="+15005550006",  # Twilio's test number: never dialled, only named in the requests
        from_=caller,
        digits=digits,
        outcome=outcome,
        caller_name=TEST_CALLER_NAME,
        session=twilio,
        on_note=_note(result),
    )
    try:
        simulator.run()
    except SimulatorError as exc:
        logger.info("test call of flow %s stopped: %s", flow.pk, exc)
        result.add("error", "The test call stopped", str(exc))
        return result
    call = twilio.call
    result.answered = bool(call.answered)
    result.answered_by = call.business_phone_number
    result.voicemail = call.voicemail
    if result.answered:
        who = formatted(call.business_phone_number) or "a phone"
        result.add("end", f"Connected: answered by {who}")
    elif result.voicemail:
        result.add("end", "Ends with a voicemail message")
    else:
        result.add("end", "The call ends without being answered")
    return result
