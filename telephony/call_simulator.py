"""A stand-in for Twilio's side of a phone call, for demos and end-to-end tests.

``CallSimulator`` posts to our webhooks exactly what Twilio would post, signed the
way Twilio signs (``X-Twilio-Signature`` with the webhook token), and follows the
TwiML it gets back like Twilio's interpreter: verbs top to bottom, ``<Gather>``
pressing the given digits, ``<Dial>`` ending with the chosen outcome, ``<Record>``
leaving a message, ``<Redirect>``, then the recording, transcription and status
callbacks after hangup.
"""

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests

from telephony.twilio import signature_compute

OUTCOMES = ("answered", "no-answer", "busy", "voicemail")
ACCOUNT_SID = "AC" + "5" * 32
MAX_REQUESTS = 40
TRANSCRIPT = "Hi, this is a simulated caller. Please call me back about a quote. Thank you."


# Carries one request to our webhooks and returns (status code, body): HTTP by default; the
# dashboard's test calls hand the requests to the call flow in the same process instead.
Transport = Callable[[str, dict[str, str]], tuple[int, str]]


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Exchange:
    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class SimulatedCall:
    call_sid: str
    exchanges: list[Exchange] = field(default_factory=list)
    final_status: str = "completed"
    answered: bool = False
    voicemail: bool = False


class SimulatorError(Exception):
    pass


class CallSimulator:
    """Drive one inbound call through the webhooks at ``base_url``."""

    def __init__(
        self,
        *,
        base_url: str,
        to: str,
        from_: str,
        digits: str = "",
        outcome: str = "answered",
        duration: int = 42,
        caller_name: str = "",
        city: str = "DENVER",
        state: str = "CO",
        zip_code: str = "80202",
        country: str = "US",
        echo: Callable[[str], None] | None = None,
        session: requests.Session | None = None,
        transport: Transport | None = None,
        on_note: Callable[[str, dict[str, str]], None] | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise SimulatorError(f"outcome must be one of {', '.join(OUTCOMES)}")
        self.base_url = base_url.rstrip("/")
        self.digits = list(digits)
        self.outcome = outcome
        self.duration = max(int(duration), 1)
        self.echo = echo or (lambda line: None)
        # What happens on the line (keys pressed, phones ringing, a message left), as it happens.
        self.on_note = on_note or (lambda kind, data: None)
        self.http = session or requests.Session()
        self.transport = transport
        self.call = SimulatedCall(call_sid=new_sid("CA"))
        self.params: dict[str, str] = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call.call_sid,
            "CallStatus": "ringing",
            "Called": to,
            "CalledCountry": "US",
            "Caller": from_,
            "CallerCity": city,
            "CallerCountry": country,
            "CallerState": state,
            "CallerZip": zip_code,
            "Direction": "inbound",
            "From": from_,
            "FromCity": city,
            "FromCountry": country,
            "FromState": state,
            "FromZip": zip_code,
            "To": to,
            "ToCountry": "US",
        }
        if caller_name:
            self.params["CallerName"] = caller_name
        # Callbacks Twilio sends after the call is over, in the order it would.
        self.after_hangup: list[tuple[str, dict[str, str]]] = []
        self.answered_by_twilio = False

    # HTTP -------------------------------------------------------------------------------

    def _http(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        signature = signature_compute(url, params)
        try:
            response = self.http.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15)
        except requests.RequestException as exc:
            raise SimulatorError(f"could not reach {url}: {exc}") from exc
        return response.status_code, response.text

    def post(self, url: str, params: dict[str, str]) -> Exchange:
        status, body = (self.transport or self._http)(url, params)
        exchange = Exchange(url=url, params=params, status=status, body=body)
        self.call.exchanges.append(exchange)
        shown = {k: v for k, v in params.items() if k not in self.params or self.params.get(k) != v}
        self.echo(f"→ POST {url}" + (f"  {shown}" if shown else ""))
        self.echo(f"← {status} {body.strip()}" if body.strip() else f"← {status}")
        if status >= 400:
            raise SimulatorError(f"{url} answered {status}: {body[:200]}")
        return exchange

    def note(self, kind: str, text: str, **data: str) -> None:
        """Something happened on the line: echoed, and reported to ``on_note``."""
        self.echo(f"  ({text})")
        self.on_note(kind, data)

    def call_params(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        return {**self.params, "CallStatus": status, **extra}

    # Running the call ---------------------------------------------------------------------

    def run(self) -> SimulatedCall:
        url = f"{self.base_url}/telephony/twilio/voice"
        document = self.post(url, self.call_params("ringing")).body
        requests_made = 1
        while document is not None:
            requests_made += 1
            if requests_made > MAX_REQUESTS:
                raise SimulatorError("too many TwiML requests; the flow seems to loop")
            document, url = self.interpret(document, url)
        self.hang_up()
        return self.call

    def interpret(self, document: str, current_url: str) -> tuple[str | None, str]:
        """Run one TwiML document. Returns the next document (if Twilio would fetch one)."""
        try:
            root = ET.fromstring(document)
        except ET.ParseError as exc:
            raise SimulatorError(f"not TwiML: {document[:200]}") from exc
        for verb in root:
            outcome = self.follow(verb, current_url)
            if outcome is not None:
                return outcome
        return None, current_url

    def follow(self, verb: ET.Element, current_url: str) -> tuple[str | None, str] | None:
        """Run one verb. Returns where the call goes next (the next document, if Twilio would
        fetch one, and its URL) when the verb ends this document, None to go on with it."""
        tag = verb.tag
        if tag in ("Say", "Play", "Pause"):
            self.answered_by_twilio = True
            return None
        if tag == "Reject":
            self.call.final_status = "busy"
            return None, current_url
        if tag == "Hangup":
            return None, current_url
        if tag == "Redirect":
            target = urljoin(current_url, (verb.text or "").strip())
            return self.post(target, self.call_params()).body, target
        if tag == "Gather":
            return self.gather(verb, current_url)
        if tag == "Dial":
            return self.dial(verb, current_url)
        if tag == "Record":
            self.answered_by_twilio = True
            return self.record(verb, current_url)
        return None

    def gather(self, verb: ET.Element, current_url: str) -> tuple[str | None, str] | None:
        self.answered_by_twilio = True
        if not self.digits:
            self.note("keys", "caller presses nothing", digit="")
            return None
        digit = self.digits.pop(0)
        target = urljoin(current_url, verb.get("action") or current_url)
        self.note("keys", f"caller presses {digit}", digit=digit)
        return self.post(target, self.call_params(Digits=digit)).body, target

    def dial(self, verb: ET.Element, current_url: str) -> tuple[str | None, str] | None:
        numbers = verb.findall("Number")
        targets = [(n.text or "").strip() for n in numbers] or [(verb.text or "").strip()]
        answered = self.outcome == "answered"
        status = "completed" if answered else ("busy" if self.outcome == "busy" else "no-answer")
        child = new_sid("CA")
        first = numbers[0] if numbers else None
        leg = {
            **self.params,
            "CallSid": child,
            "ParentCallSid": self.call.call_sid,
            "Direction": "outbound-dial",
            "To": targets[0],
            "Called": targets[0],
        }
        self.note(
            "ring",
            f"ringing {', '.join(targets)}: {'answered' if answered else status}",
            numbers=",".join(targets),
            outcome="answered" if answered else status,
        )
        if answered:
            self.call.answered = True
            self.answered_by_twilio = True
            if first is not None and first.get("url"):
                self.post(urljoin(current_url, first.get("url")), {**leg, "CallStatus": "in-progress"})
            if (
                first is not None
                and "answered" in (first.get("statusCallbackEvent") or "")
                and first.get("statusCallback")
            ):
                self.post(urljoin(current_url, first.get("statusCallback")), {**leg, "CallStatus": "in-progress"})
            if verb.get("record") and verb.get("record") != "do-not-record" and verb.get("recordingStatusCallback"):
                self.recording_done(
                    urljoin(current_url, verb.get("recordingStatusCallback")),
                    new_sid("RE"),
                    duration=self.duration,
                    channels=2,
                    source="DialVerb",
                )
        for number in numbers:
            callback = number.get("statusCallback")
            if callback and "completed" in (number.get("statusCallbackEvent") or "completed"):
                leg_status = {**leg, "To": (number.text or "").strip(), "CallStatus": status}
                if answered and number is first:
                    leg_status["CallDuration"] = str(self.duration)
                self.post(urljoin(current_url, callback), leg_status)
        action = verb.get("action")
        if not action:
            # Without an action Twilio runs the next verb; after a conversation the caller has hung up.
            return (None, current_url) if answered else None
        target = urljoin(current_url, action)
        params = self.call_params(DialCallStatus=status, DialCallSid=child)
        if answered:
            params.update(DialCallDuration=str(self.duration), DialBridged="true")
        return self.post(target, params).body, target

    def record(self, verb: ET.Element, current_url: str) -> tuple[str | None, str]:
        if self.outcome != "voicemail":
            self.note("beep", "caller hangs up at the beep")
            return None, current_url
        self.call.voicemail = True
        max_length = int(verb.get("maxLength") or 3600)
        length = min(self.duration, max_length)
        recording_sid = new_sid("RE")
        recording_url = self.recording_url(recording_sid)
        self.note("message", f"caller leaves a {length} s message", seconds=str(length))
        if verb.get("recordingStatusCallback"):
            self.recording_done(
                urljoin(current_url, verb.get("recordingStatusCallback")),
                recording_sid,
                duration=length,
                channels=1,
                source="RecordVerb",
            )
        if verb.get("transcribe") == "true" and verb.get("transcribeCallback") and 2 < length < 120:
            self.after_hangup.append(
                (
                    urljoin(current_url, verb.get("transcribeCallback")),
                    self.call_params(
                        "completed",
                        TranscriptionSid=new_sid("TR"),
                        TranscriptionText=TRANSCRIPT,
                        TranscriptionStatus="completed",
                        TranscriptionUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Transcriptions/TR1",
                        RecordingSid=recording_sid,
                        RecordingUrl=recording_url,
                    ),
                )
            )
        action = verb.get("action") or current_url
        target = urljoin(current_url, action)
        params = self.call_params(RecordingUrl=recording_url, RecordingDuration=str(length), Digits="hangup")
        return self.post(target, params).body, target

    def recording_url(self, sid: str) -> str:
        return f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"

    def recording_done(self, url: str, sid: str, *, duration: int, channels: int, source: str) -> None:
        """Queue the recording status callback Twilio sends once the call is over."""
        self.after_hangup.append(
            (
                url,
                {
                    "AccountSid": ACCOUNT_SID,
                    "CallSid": self.call.call_sid,
                    "RecordingSid": sid,
                    "RecordingUrl": self.recording_url(sid),
                    "RecordingStatus": "completed",
                    "RecordingDuration": str(duration),
                    "RecordingChannels": str(channels),
                    "RecordingSource": source,
                },
            )
        )

    def hang_up(self) -> None:
        if self.call.final_status != "busy" and not self.answered_by_twilio:
            # Nothing answered the call (a <Dial> that nobody picked up, answerOnBridge).
            self.call.final_status = "busy" if self.outcome == "busy" else "no-answer"
        talked = self.duration if (self.call.answered or self.call.voicemail) else 0
        self.post(
            f"{self.base_url}/telephony/twilio/status",
            self.call_params(self.call.final_status, CallDuration=str(talked)),
        )
        for url, params in self.after_hangup:
            self.post(url, params)
