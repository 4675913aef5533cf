"""Browser links to call recordings, reached without an API key (reference: the
``recording`` and ``recording_player`` call fields, "Retrieving a Single Call Recording").

The API hands out these URLs with an ``access_key`` signed for one call; the key is
the credential, so a link can be played in a browser or fetched by a script. HIPAA
accounts get links that expire after about a day (``expires``).
"""

from __future__ import annotations

import time
from html import escape

from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from accounts.fields import ascii_digits
from telephony import recording_links
from telephony.carrier import CarrierError, get_carrier
from telephony.models import Call


def _expires(request: HttpRequest) -> int | None:
    raw = request.GET.get("expires")
    return int(raw) if raw and ascii_digits(raw) else None


def _call_for(request: HttpRequest, call_id: str, purpose: str) -> Call:
    key = request.GET.get("access_key", "")
    expires = _expires(request)
    if not recording_links.recording_access_key_valid(call_id, key, purpose, expires):
        raise Http404("No such recording")
    if expires is not None and expires < time.time():
        raise Http404("This recording link has expired")
    call = Call.objects.select_related("account").filter(public_id=call_id).first()
    if call is None or not (call.recording_url or call.recording_sid):
        raise Http404("No such recording")
    if call.account.hipaa_account and expires is None:
        # HIPAA accounts only ever get short-lived links.
        raise Http404("No such recording")
    return call


@require_GET
def recording_redirect(request: HttpRequest, call_id: str) -> HttpResponse:
    """The recording's audio, fetched from the carrier with this installation's credentials."""
    call = _call_for(request, call_id, "redirect")
    try:
        audio, content_type = get_carrier().fetch_recording(call.recording_url)
    except CarrierError:
        return HttpResponse("The recording is not available right now.", status=503, content_type="text/plain")
    response = HttpResponse(audio, content_type=content_type or "audio/mpeg")
    response["Content-Disposition"] = f'inline; filename="{call.public_id}.mp3"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def recording_player(request: HttpRequest, call_id: str) -> HttpResponse:
    """A bare page that plays one call's recording, meant to be embedded (a CRM shows it in a
    frame), so it is the one page any site may frame."""
    call = _call_for(request, call_id, "player")
    # The audio link lives no longer than the page's own (HIPAA pages carry an expiry).
    source = escape(recording_links.recording_redirect_path(call.public_id, _expires(request)))
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>Call recording {escape(call.public_id)}</title>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f'<audio controls preload=metadata src="{source}" style="width:100%"></audio></html>'
    )
    return HttpResponse(page)
