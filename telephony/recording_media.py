"""Call recordings and voicemails as browsers fetch them: the audio, proxied from the carrier
(whose credentials never leave this server), and a bare page that plays it. Both are opened
by the signed, expiring links of ``telephony.recording_links``; anything else answers 404,
the same as a call that does not exist.

The audio answers HTTP Range requests (RFC 9110 §14), so an ``<audio>`` element can seek:
the carrier's file is fetched whole (a phone recording is a few megabytes at most) and the
asked-for bytes are cut from it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt

from accounts.fields import ascii_digits
from telephony.carrier import CarrierError, get_carrier
from telephony.models import Call
from telephony.recording_links import RecordingLink, recording_audio_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ByteRange:
    """The inclusive byte positions ``first``..``last`` of a representation of ``size`` bytes."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


class RangeNotSatisfiable(Exception):
    """The request's range is malformed or lies outside the representation (answer 416)."""


def _digits_or_empty(text: str) -> bool:
    return text == "" or ascii_digits(text)


def byte_range(header: str, size: int) -> ByteRange | None:
    """The range a ``Range`` header asks for, or None to send the whole representation.

    Only single ``bytes`` ranges are served: another unit, or several ranges at once, are
    answered with everything (a server may ignore Range, RFC 9110 §14.2). A range that is
    malformed (``bytes=5-2``, ``bytes=x``) or starts past the end raises
    ``RangeNotSatisfiable``; one that runs past the end is cut at it.
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    specs = [part.strip() for part in spec.split(",")]
    if len(specs) != 1:
        return None
    first_text, dash, last_text = specs[0].partition("-")
    if not dash or not _digits_or_empty(first_text) or not _digits_or_empty(last_text):
        raise RangeNotSatisfiable
    if first_text == "":
        # A suffix: the last N bytes.
        if last_text == "" or int(last_text) == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(first=max(0, size - int(last_text)), last=size - 1, size=size)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first or first >= size:
        raise RangeNotSatisfiable
    return ByteRange(first=first, last=min(last, size - 1), size=size)


def _linked_call(request: HttpRequest, call_id: str) -> tuple[Call, RecordingLink]:
    """The call a valid, live link opens; 404 for any other request, telling nothing apart."""
    link = RecordingLink.from_query(call_id, request.GET)
    # The signature is checked before the database is asked anything about the call.
    if link is None or not link.signature_valid():
        raise Http404("No such recording.")
    call = Call.objects.select_related("account", "company").filter(public_id=call_id).first()
    if call is None or not call.recording_url or not link.live_for(call.account):
        raise Http404("No such recording.")
    return call, link


def _etag(call: Call) -> str:
    return '"' + hashlib.sha256(call.recording_url.encode()).hexdigest()[:24] + '"'


def _private_headers(response: HttpResponse, link: RecordingLink) -> HttpResponse:
    # The link is the credential: a page holding it must not leak it in a Referer, and no
    # shared cache may keep the audio; the browser keeps it no longer than the link lives.
    max_age = max(0, min(3600, link.expires - int(time.time())))
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _audio_response(request: HttpRequest, call: Call, audio: bytes, content_type: str) -> HttpResponse:
    etag = _etag(call)
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    try:
        # If-Range: the range only applies to the same file; otherwise the whole of the new one.
        wanted = byte_range(header, len(audio)) if header and (not if_range or if_range == etag) else None
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, content_type="text/plain")
        response["Content-Range"] = f"bytes */{len(audio)}"
        response["Accept-Ranges"] = "bytes"
        return response
    if wanted is None:
        response = HttpResponse(audio, content_type=content_type)
    else:
        response = HttpResponse(audio[wanted.first : wanted.last + 1], content_type=content_type, status=206)
        response["Content-Range"] = wanted.content_range
    response["Content-Length"] = str(wanted.length if wanted else len(audio))
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    extension = "wav" if "wav" in content_type else "mp3"
    response["Content-Disposition"] = f'inline; filename="{call.public_id}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def recording_audio(request: HttpRequest, call_id: str) -> HttpResponse:
    """The recording's audio (or the voicemail's), fetched from the carrier with this
    installation's credentials."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    call, link = _linked_call(request, call_id)
    try:
        audio, content_type = get_carrier().fetch_recording(call.recording_url)
    except CarrierError:
        logger.exception("could not fetch the recording of %s", call.public_id)
        return HttpResponse("The recording is not available right now.", status=502, content_type="text/plain")
    response = _private_headers(_audio_response(request, call, audio, content_type or "audio/mpeg"), link)
    if request.method == "HEAD":
        length = response["Content-Length"]
        response.content = b""
        response["Content-Length"] = length
    return response


@xframe_options_exempt
def recording_player(request: HttpRequest, call_id: str) -> HttpResponse:
    """A bare page that plays one call's recording, meant to be embedded (a CRM shows it in
    a frame), so it is the one page any site may frame. Its audio link expires with it."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    call, link = _linked_call(request, call_id)
    context = {"call": call, "audio_url": recording_audio_path(call.public_id, link.expires)}
    return _private_headers(render(request, "telephony/recording_player.html", context), link)
