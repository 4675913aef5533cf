"""The HTTP requests telephony receives from Twilio: its webhooks (verify the signature, call
a service, answer TwiML fast). Recordings are served by ``telephony.recording_media``.

Outgoing webhooks (what we send to customers' systems) live elsewhere; everything here
is inbound. Every Twilio request must carry a valid ``X-Twilio-Signature`` (403 otherwise). Once the
dialed number is known, no failure of ours (database, Redis, attribution, a bug)
may drop the call: the answer is then TwiML that rings the destination anyway.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from accounts.fields import ascii_digits
from telephony.callflows.runtime import fallback_twiml, unknown_number_twiml, whisper_twiml
from telephony.callflows.validation import fallback_destination, flow_steps
from telephony.models import Call
from telephony.services import callbacks, inbound, lookups, outbound, texts
from telephony.twilio import MessagingResponse, VoiceResponse, signature_valid, twilio_time

logger = logging.getLogger(__name__)

# A Twilio view's own arguments after the request (a caller id's number, say), kept by the decorator.
P = ParamSpec("P")

# Last known destination per tracking number, so a call still rings through while
# the database is unreachable. Bounded: it is a safety net, not a cache of record.
_destinations: dict[str, str] = {}
_DESTINATIONS_MAX = 50_000


def _remember_destination(number: str, destination: str | None) -> None:
    if destination and _destinations.get(number) != destination:
        if len(_destinations) >= _DESTINATIONS_MAX:
            _destinations.clear()
        _destinations[number] = destination


def twiml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


def no_content() -> HttpResponse:
    # Status callbacks do not steer the call; 204 keeps Twilio's debugger quiet.
    return HttpResponse(status=204)


def twilio_webhook(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """POST only, CSRF-exempt (Twilio has no token), and signed by Twilio or refused."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if request.content_type != "application/x-www-form-urlencoded" and request.body:
            # Twilio posts form fields; any other body (JSON, multipart) is refused before
            # it is parsed or the signature computed over it. An empty body has no type.
            return HttpResponseForbidden("Twilio webhooks are form-encoded and signed.", content_type="text/plain")
        if not signature_valid(request):
            logger.warning("rejected a request with a bad X-Twilio-Signature: %s", request.get_full_path())
            return HttpResponseForbidden("Invalid X-Twilio-Signature.", content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper


def _dialed(request: HttpRequest) -> str:
    return lookups.dialed_number(request.POST.get("To") or request.POST.get("Called") or "")


@twilio_webhook
def voice(request: HttpRequest) -> HttpResponse:
    """A call to one of our numbers: record it, attribute it, answer from its call flow."""
    dialed = _dialed(request)
    try:
        number = lookups.tracking_number_for_call(dialed)
    except Exception:
        logger.exception("could not look up tracking number %s", dialed)
        return twiml(fallback_twiml(_destinations.get(dialed)))
    if number is None or not number.tracker.is_active:
        logger.info("call to unknown or disabled number %s", dialed)
        return twiml(unknown_number_twiml())
    try:
        call, answer = inbound.call_inbound_start(
            tracking_number=number, params=request.POST, at=twilio_time(request.POST)
        )
    except Exception:
        logger.exception("inbound call %s to %s failed; ringing the destination", request.POST.get("CallSid"), dialed)
        try:
            destination = fallback_destination(number.tracker.call_flow.definition)
        except Exception:
            logger.exception("no fallback destination for %s", dialed)
            destination = None
        return twiml(fallback_twiml(destination or _destinations.get(dialed)))
    try:
        call_flow = number.tracker.call_flow
        _remember_destination(dialed, fallback_destination(call_flow.definition, steps=flow_steps(call_flow)))
    except Exception:  # noqa: BLE001 - the call is answered already; this only feeds the safety net
        logger.exception("could not note the fallback destination of %s", dialed)
    return twiml(answer)


def _call_param(request: HttpRequest) -> str | None:
    return request.GET.get("call") or None


def attempt_param(request: HttpRequest) -> int:
    """The ``attempt`` counter we put in our own callback URLs (0 when missing or mangled)."""
    raw = request.GET.get("attempt", "")
    return int(raw) if ascii_digits(raw, 4) else 0


@twilio_webhook
def flow(request: HttpRequest) -> HttpResponse:
    """The flow continues: a ``<Dial>`` ended, a menu key was pressed, a message was left."""
    event = request.GET.get("event", "")
    step_id = request.GET.get("step", "")
    call: Call | None = None
    try:
        with transaction.atomic():
            call = lookups.call_for_callback(_call_param(request), request.POST.get("CallSid"))
            if call is None:
                logger.warning("flow callback for unknown call %s", _call_param(request))
                response = VoiceResponse()
                response.hangup()
                return twiml(str(response))
            if event == "challenge":
                return twiml(inbound.call_challenge_answer(call=call, digits=request.POST.get("Digits", "")))
            if event == "outbound":
                return twiml(outbound.outbound_dial_finished(call=call, params=request.POST))
            answer = inbound.call_flow_continue(
                call=call, event=event, step_id=step_id, params=request.POST, attempt=attempt_param(request)
            )
            return twiml(answer)
    except Exception:
        logger.exception("flow step %s/%s of call %s failed; ringing the destination", step_id, event, call)
        if event == "dial" and request.POST.get("DialCallStatus") in ("completed", "answered"):
            # That conversation already happened; just end the call.
            response = VoiceResponse()
            response.hangup()
            return twiml(str(response))
        destination = None
        if call is not None and call.tracker is not None:
            try:
                destination = fallback_destination(call.tracker.call_flow.definition)
            except Exception:
                logger.exception("no fallback destination for call %s", call)
        return twiml(fallback_twiml(destination or _destinations.get(_dialed(request))))


@twilio_webhook
def whisper(request: HttpRequest) -> HttpResponse:
    """Played to whoever answers before the caller is connected: the tracker's whisper, or
    (outbound calls) the greeting for the customer."""
    try:
        call = (
            Call.objects.select_related("tracker__call_flow", "company").filter(public_id=_call_param(request)).first()
        )
        if call is None:
            return twiml(str(VoiceResponse()))
        if request.GET.get("leg") == "customer":
            return twiml(outbound.outbound_greeting_twiml(call=call))
        if call.tracker is None:
            return twiml(str(VoiceResponse()))
        return twiml(whisper_twiml(call, call.tracker, request.GET.get("step")))
    except Exception:
        # An empty answer connects the call without a whisper.
        logger.exception("whisper for call %s failed", _call_param(request))
        return twiml(str(VoiceResponse()))


def _callback(handler: Callable[[Call, HttpRequest], None]) -> Callable[[HttpRequest], HttpResponse]:
    @twilio_webhook
    @wraps(handler)
    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            call = lookups.call_for_callback(_call_param(request), request.POST.get("CallSid"))
            if call is None:
                logger.warning("%s callback for unknown call %s", handler.__name__, request.POST.get("CallSid"))
                return no_content()
            handler(call, request)
        return no_content()

    return view


@_callback
def dial_status(call: Call, request: HttpRequest) -> None:
    callbacks.call_leg_status(call=call, params=request.POST)


@_callback
def status(call: Call, request: HttpRequest) -> None:
    callbacks.call_status_update(call=call, params=request.POST, at=twilio_time(request.POST))


@_callback
def recording(call: Call, request: HttpRequest) -> None:
    callbacks.call_recording_attach(call=call, params=request.POST, kind=request.GET.get("kind", "call"))


@_callback
def transcription(call: Call, request: HttpRequest) -> None:
    callbacks.call_transcription_attach(call=call, params=request.POST)


@twilio_webhook
def outbound_answered(request: HttpRequest) -> HttpResponse:
    """The business phone answered an outbound call: now ring the customer."""
    call = Call.objects.filter(public_id=_call_param(request), direction=Call.Direction.OUTBOUND).first()
    if call is None:
        response = VoiceResponse()
        response.say("This call can no longer be connected. Goodbye.")
        response.hangup()
        return twiml(str(response))
    return twiml(outbound.outbound_twiml(call=call))


@twilio_webhook
def sms(request: HttpRequest) -> HttpResponse:
    """A text to one of our numbers. Twilio answers STOP/START itself on long codes, so
    the reply is empty."""
    texts.text_message_receive(params=request.POST, at=twilio_time(request.POST))
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")


@twilio_webhook
def sms_status(request: HttpRequest) -> HttpResponse:
    texts.text_message_status(params=request.POST)
    return no_content()
