"""A stand-in for Twilio's side of a phone call, for demos and end-to-end tests.

``CallSimulator`` posts to our webhooks exactly what Twilio would post, signed the
way Twilio signs (``X-Twilio-Signature`` with the webhook token), and follows the
TwiML it gets back like Twilio's interpreter: verbs top to bottom, ``<Gather>``
pressing the given digits, ``<Dial>`` ending with the chosen outcome, ``<Record>``
leaving a message, ``<Redirect>``, then the recording, transcription and status
callbacks after hangup.

An outcome the call flow cannot produce is said, not faked: ``--outcome voicemail``
on a flow without a voicemail step (CallRail's basic flow greets and rings its
destination, nothing more) rings unanswered, ends as a missed call, and the result
carries a notice saying why no message was left.

A call can be placed at a past moment (``at``): every request then carries Twilio's
``Timestamp`` parameter, advancing as the call goes on (greeting, ringing, the
conversation), and the server records the call at that time. ``InProcess`` runs the
requests through this process's own Django application instead of HTTP, for when no
server is up yet (the demo history is made before ``make run`` starts one).
The webhook and alert-email log rows the server wrote about it are then moved to that
moment too (``call_backdate``), so retention and reports can be tried on history.
"""

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from telephony import signals
from telephony.models import Call
from telephony.twilio import signature_compute, twilio_timestamp
from tracking.models import Person

OUTCOMES = ("answered", "no-answer", "busy", "voicemail")
ACCOUNT_SID = "AC" + "5" * 32
MAX_REQUESTS = 40
TRANSCRIPT = "Hi, this is a simulated caller. Please call me back about a quote. Thank you."
NO_VOICEMAIL_NOTICE = (
    "no voicemail: this call flow has no voicemail step, so nobody answered and the call was recorded "
    "as missed, without a recording (a basic flow only greets and rings its destination, as in CallRail; "
    "give the tracker an advanced flow with a voicemail step to take messages)"
)
# Seconds of the simulated clock: a greeting or prompt said, a phone ringing until answered
# or given up on.
SPEECH_SECONDS = 4
RING_SECONDS = 9
NO_ANSWER_SECONDS = 20


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
    # Whether the flow offered a voicemail (a ``<Record>``), whatever the outcome.
    voicemail_offered: bool = False
    # What the chosen outcome could not do on this call flow, for the person running it.
    notices: list[str] = field(default_factory=list)


class SimulatorError(Exception):
    pass


class Answer(Protocol):
    """What the simulator reads of an HTTP answer (a ``requests.Response`` is one)."""

    status_code: int

    @property
    def text(self) -> str: ...


class Transport(Protocol):
    """Posts a form (a ``requests.Session`` is one; ``InProcess`` is another, and a call flow's
    test call hands the requests to the flow in memory)."""

    def post(self, url: str, *, data: dict[str, str], headers: dict[str, str], timeout: float) -> Any: ...


def _served_host(host: str) -> str:
    """``host`` when this site answers to it, else one it answers to. The signature covers
    PUBLIC_BASE_URL and the path, not the Host header, so any served name will do."""
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    if validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return host
    return next((name for name in settings.ALLOWED_HOSTS if name and name[0] not in ".*["), "localhost")


@dataclass(frozen=True)
class LocalAnswer:
    """An ``Answer`` made without HTTP (by ``InProcess``, or a flow's test call)."""

    status_code: int
    text: str


class InProcess:
    """A transport that hands each request to this process's Django application: the same
    URL routing, middleware, signature check and views as over HTTP, without a server.

    Django's test client does the handing over: it is the in-process client Django ships,
    and unlike a bare WSGI call it leaves the caller's database connection and transaction
    alone at the end of each request."""

    def __init__(self) -> None:
        # Imported here: only the demo and tests place calls in process.
        from django.test import Client

        self.client = Client()

    def post(self, url: str, *, data: dict[str, str], headers: dict[str, str], timeout: float) -> LocalAnswer:
        parts = urlsplit(url)
        response = self.client.post(
            f"{parts.path}?{parts.query}" if parts.query else parts.path,
            data=urlencode(data),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
            HTTP_HOST=_served_host(parts.netloc),
            secure=parts.scheme == "https",
        )
        return LocalAnswer(status_code=response.status_code, text=response.content.decode())


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
        session: Transport | None = None,
        at: datetime | None = None,
        on_note: Callable[[str, dict[str, str]], None] | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise SimulatorError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if at is not None and at.tzinfo is None:
            raise SimulatorError("at must be an aware datetime")
        self.base_url = base_url.rstrip("/")
        self.digits = list(digits)
        self.outcome = outcome
        self.duration = max(int(duration), 1)
        self.echo = echo or (lambda line: None)
        self.http: Transport = session or requests.Session()
        # The call's own clock when it is placed in the past (None: the server's now).
        self.at = at
        self.elapsed = 0
        # What happens on the line (keys pressed, phones ringing, a message left), as it happens.
        self.on_note = on_note or (lambda kind, data: None)
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

    def advance(self, seconds: int) -> None:
        """Move the call's clock on (what a past call's later requests are stamped with)."""
        self.elapsed += seconds

    @property
    def now(self) -> datetime | None:
        return self.at + timedelta(seconds=self.elapsed) if self.at is not None else None

    def _http(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        signature = signature_compute(url, params)
        try:
            response = self.http.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15)
        except requests.RequestException as exc:
            raise SimulatorError(f"could not reach {url}: {exc}") from exc
        return response.status_code, response.text

    def post(self, url: str, params: dict[str, str]) -> Exchange:
        if self.now is not None:
            params = {**params, "Timestamp": twilio_timestamp(self.now)}
        status, body = self._http(url, params)
        exchange = Exchange(url=url, params=params, status=status, body=body)
        self.call.exchanges.append(exchange)
        shown = {
            k: v for k, v in params.items() if k != "Timestamp" and (k not in self.params or self.params.get(k) != v)
        }
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
        self.placed_at = timezone.now()
        url = f"{self.base_url}/telephony/twilio/voice"
        document: str | None = self.post(url, self.call_params("ringing")).body
        requests_made = 1
        while document is not None:
            requests_made += 1
            if requests_made > MAX_REQUESTS:
                raise SimulatorError("too many TwiML requests; the flow seems to loop")
            document, url = self.interpret(document, url)
        self.hang_up()
        if self.outcome == "voicemail" and not self.call.voicemail_offered:
            self.call.notices.append(NO_VOICEMAIL_NOTICE)
            self.echo(f"  ({NO_VOICEMAIL_NOTICE})")
        if self.at is not None:
            call_backdate(call_sid=self.call.call_sid, at=self.at, placed_at=self.placed_at)
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
            self.advance(SPEECH_SECONDS)
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
        if tag == "Start":
            self.start_recording(verb, current_url)
        return None

    def start_recording(self, verb: ET.Element, current_url: str) -> None:
        """``<Start><Recording>``: the rest of the call is recorded; the file comes after hangup."""
        for noun in verb.findall("Recording"):
            callback = noun.get("recordingStatusCallback")
            if callback:
                self.recording_done(
                    urljoin(current_url, callback),
                    new_sid("RE"),
                    duration=self.duration,
                    channels=2,
                    source="StartCallRecordingTwiML",
                )

    def gather(self, verb: ET.Element, current_url: str) -> tuple[str | None, str] | None:
        self.answered_by_twilio = True
        if not self.digits:
            self.note("keys", "caller presses nothing", digit="")
            return None
        digit = self.digits.pop(0)
        self.advance(SPEECH_SECONDS)
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
        self.advance(RING_SECONDS if answered else NO_ANSWER_SECONDS)
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
            self.advance(self.duration)
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
        self.call.voicemail_offered = True
        if self.outcome != "voicemail":
            self.note("beep", "caller hangs up at the beep")
            return None, current_url
        self.call.voicemail = True
        max_length = int(verb.get("maxLength") or 3600)
        length = min(self.duration, max_length)
        recording_sid = new_sid("RE")
        recording_url = self.recording_url(recording_sid)
        self.note("message", f"caller leaves a {length} s message", seconds=str(length))
        self.advance(length)
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
        """The caller hangs up: the final status, then the recording and transcription callbacks."""
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


# The person a call created was written a moment before the call itself.
_CREATED_WITH_CALL = timedelta(minutes=1)


@transaction.atomic
def call_backdate(*, call_sid: str, at: datetime, placed_at: datetime) -> Call | None:
    """Finish placing a call at ``at`` that was simulated from ``placed_at`` (the real time).

    The server dates what a request's ``Timestamp`` reports (the call's start and end); rows it
    stamps with its own clock while the call goes on (the call's and its new person's creation,
    the webhook and alert-email log rows, through ``call_backdated``) are moved by as much as
    the call was placed in the past. Rows a worker writes later carry their own time."""
    call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is None:
        return None
    late = at - placed_at  # how far back the server's own stamps must go
    drift = at - call.start_time  # zero when the server honoured the Timestamp
    moved: dict[str, Any] = {"start_time": F("start_time") + drift} if drift else {}
    ended = call.flow_state.get("ended")
    if ended and drift:
        call.flow_state["ended"] = (datetime.fromisoformat(ended) + drift).isoformat()
        moved["flow_state"] = call.flow_state
    recent = placed_at - _CREATED_WITH_CALL
    if call.created_at >= recent:
        moved.update(created_at=F("created_at") + late, updated_at=F("updated_at") + late)
    if moved:
        Call.objects.filter(pk=call.pk).update(**moved)
    if call.person_id:
        Person.objects.filter(pk=call.person_id, created_at__gte=recent).update(
            created_at=F("created_at") + late, updated_at=F("updated_at") + late
        )
    call.refresh_from_db()
    signals.call_backdated.send(sender=Call, call=call, delta=late)
    return call


def text_simulate(
    *,
    base_url: str,
    to: str,
    from_: str,
    body: str,
    at: datetime | None = None,
    session: Transport | None = None,
) -> Exchange:
    """A customer texts ``to``: post Twilio's incoming-message webhook, signed (``at`` as in
    ``CallSimulator``)."""
    url = f"{base_url.rstrip('/')}/telephony/twilio/sms"
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": new_sid("SM"),
        "SmsMessageSid": "",
        "SmsSid": "",
        "SmsStatus": "received",
        "NumMedia": "0",
        "NumSegments": "1",
        "From": from_,
        "To": to,
        "Body": body,
    }
    params["SmsMessageSid"] = params["SmsSid"] = params["MessageSid"]
    if at is not None:
        params["Timestamp"] = twilio_timestamp(at)
    http: Transport = session or requests.Session()
    try:
        response = http.post(
            url, data=params, headers={"X-Twilio-Signature": signature_compute(url, params)}, timeout=15
        )
    except requests.RequestException as exc:
        raise SimulatorError(f"could not reach {url}: {exc}") from exc
    if response.status_code >= 400:
        raise SimulatorError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return Exchange(url=url, params=params, status=response.status_code, body=response.text)
