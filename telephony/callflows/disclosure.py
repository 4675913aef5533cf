"""The recording announcement (a company's ``recording_disclosure``): a recorded call, inbound
or outbound, tells the caller before anything else happens. With ``record_after_disclosure``
the recording itself starts right after the announcement (``<Start><Recording>``, the whole
call from then on) instead of when a phone answers (``<Dial record>``), so nothing is
recorded before the caller was told."""

from dataclasses import dataclass

from accounts.models import DEFAULT_RECORDING_DISCLOSURE, Company
from telephony.links import public_url
from telephony.models import Call
from telephony.twilio import Start, VoiceResponse


@dataclass(frozen=True)
class RecordingPlan:
    """How one call is recorded: ``announce`` first (or nothing), then either the ``<Dial>``
    records from answer (``on_dial``) or the recording starts after the announcement."""

    announce: str | None
    on_dial: bool
    after_announcement: bool

    @classmethod
    def for_call(cls, company: Company, *, records: bool) -> "RecordingPlan":
        if not records:
            return cls(announce=None, on_dial=False, after_announcement=False)
        if not company.recording_disclosure:
            return cls(announce=None, on_dial=True, after_announcement=False)
        message = company.recording_disclosure_message.strip() or DEFAULT_RECORDING_DISCLOSURE
        after = company.record_after_disclosure
        return cls(announce=message, on_dial=not after, after_announcement=after)


def recording_callback(call: Call) -> str:
    return public_url("telephony:twilio-recording", {"call": call.public_id, "kind": "call"})


def dial_recording_options(call: Call) -> dict[str, str]:
    """The ``<Dial>`` attributes that record both parties from the answer."""
    return {
        "record": "record-from-answer-dual",
        "recording_status_callback": recording_callback(call),
        "recording_status_callback_event": "completed absent",
    }


def announce(response: VoiceResponse, call: Call, plan: RecordingPlan) -> bool:
    """Say the announcement (and start recording after it, if so planned). True when it
    started a recording, which the call must then wait for before Post-Call."""
    if plan.announce is None:
        return False
    response.say(plan.announce)
    if not plan.after_announcement:
        return False
    start = Start()
    start.recording(
        recording_status_callback=recording_callback(call),
        recording_status_callback_event="completed absent",
        channels="dual",
        track="both",
    )
    response.append(start)
    return True
