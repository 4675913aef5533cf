"""One call (``/calls/CAL…/``): its recording, the caller and their history, the visit behind
it (with the tel: clicks the call followed), how the call flow handled it, what became of it
at Google Ads and GA4, and the marketer's actions on it.

Every action goes through the services the v3 API uses (``call_update``, and
``outbound_call_start`` to call back), so a change shows in the API and fires the same
``call_modified`` webhook. Each action is a plain form POST that answers with a redirect
back to the page; with htmx it answers the page's action panel instead. Reporting users
see no controls, and their POSTs get 403; a call of another account (or of a company the
user cannot see) is 404 for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.fields import parse_public_or_numeric
from accounts.models import Tag
from accounts.phone import formatted
from dashboard.access import Scope, dashboard_view
from dashboard.call_log import status_of
from dashboard.shell import shell_context
from integrations.conversions import (
    Rule,
    call_conversion_status,
    call_qualifies,
    click_id_of,
    ga_ids,
)
from integrations.models import CallConversion, ConversionDelivery, ConversionSettings
from telephony.models import Call, TextConversation, TextMessage
from telephony.recording_links import recording_audio_path, recording_link_expiry
from telephony.selectors import call_flow_trace, call_number_assignments, call_page_views
from telephony.services.edits import call_update
from telephony.services.outbound import outbound_call_start
from tracking.models import ClickEvent, FormSubmission
from tracking.source_names import source_display

HISTORY_SIZE = 10
PAGE_VIEWS_SHOWN = 50
ACTION_PANEL = "dashboard/call_detail/actions.html"


def call_for(scope: Scope, call_id: str) -> Call:
    """The call ``call_id`` names, if it is one of the user's companies' calls; 404 otherwise
    (another account's call looks exactly like a missing one)."""
    lookup = parse_public_or_numeric(call_id, "CAL")
    if lookup is None:
        raise Http404("No such call.")
    call = (
        Call.objects.filter(account=scope.account, company_id__in=[company.pk for company in scope.companies])
        .filter(**lookup)
        .select_related(
            "tracker__call_flow",
            "company__conversion_settings",
            "conversion",
            "session",
            "person",
            "agent",
            "account",
        )
        .prefetch_related("tags")
        # Whether any click preceded it: most calls follow none, and then the page asks no more.
        .annotate(has_clicks=Exists(Call.click_events.through.objects.filter(call_id=OuterRef("pk"))))
        .first()
    )
    if call is None:
        raise Http404("No such call.")
    return call


@dataclass(frozen=True)
class History:
    """What else the caller did with this company."""

    calls: list[Call]
    total_calls: int
    conversation: TextConversation | None
    texts: list[TextMessage]
    forms: list[FormSubmission]


def _history(call: Call) -> History:
    if not call.customer_phone_number:
        return History([], 1, None, [], [])
    same_caller = Call.objects.from_caller(company_id=call.company_id, customer_phone_number=call.customer_phone_number)
    earlier = list(
        same_caller.exclude(pk=call.pk).select_related("tracker").order_by("-start_time", "-id")[:HISTORY_SIZE]
    )
    conversation = TextConversation.objects.filter(
        company_id=call.company_id, customer_phone_number=call.customer_phone_number
    ).first()
    texts = list(conversation.messages.order_by("-created_at", "-id")[:5]) if conversation else []
    who = Q(customer_phone_number=call.customer_phone_number)
    if call.person_id:
        who |= Q(person_id=call.person_id)
    forms = list(FormSubmission.objects.filter(who, company_id=call.company_id).order_by("-submitted_at")[:5])
    return History(earlier, same_caller.not_spam().count(), conversation, texts, forms)


def _tag_names(call: Call) -> list[str]:
    """The tags a marketer can pick for this call (autocomplete), the call's own first."""
    enabled = Tag.objects.filter(account_id=call.account_id, status=Tag.Status.ENABLED).filter(
        Q(company__isnull=True) | Q(company_id=call.company_id)
    )
    return sorted(set(enabled.values_list("name", flat=True)), key=str.lower)


def _utm(call: Call) -> list[tuple[str, str]]:
    names = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid")
    return [(name, getattr(call, name)) for name in names if getattr(call, name)]


@dataclass(frozen=True)
class PlatformResult:
    """What became of the call at one ad platform, as the call's page says it."""

    label: str
    state: str  # sent, pending, rejected, failed, feed, not_sent, not_configured, none
    text: str
    reason: str = ""
    when: Any = None


def _configured(settings: ConversionSettings | None, destination: str) -> bool:
    """Whether the company sends conversions to the platform: GA4 with its credentials; Google
    Ads with its API credentials, or through the feed as soon as the rule is on."""
    if settings is None:
        return False
    if destination == ConversionDelivery.Destination.GA4:
        return settings.ga4_configured
    return settings.google_ads_configured or settings.enabled


PLATFORMS = ((ConversionDelivery.Destination.GOOGLE_ADS, "Google Ads"), (ConversionDelivery.Destination.GA4, "GA4"))


def _platform_result(
    destination: str, label: str, configured: bool, status: dict[str, Any], click_id: str, client_id: str
) -> PlatformResult:
    delivery = status["destinations"].get(destination)
    google = destination == ConversionDelivery.Destination.GOOGLE_ADS
    if delivery is not None:
        state = delivery["status"]
        texts = {
            ConversionDelivery.Status.SENT: "Uploaded" if google else "Sent",
            ConversionDelivery.Status.PENDING: "Pending"
            + (f", retrying after {delivery['attempts']} attempts" if delivery["attempts"] else ""),
            ConversionDelivery.Status.REJECTED: "Rejected",
            ConversionDelivery.Status.FAILED: "Failed",
        }
        return PlatformResult(label, state, texts.get(state, state), delivery["reason"], delivery["sent_at"])
    if status["conversion"] and google and click_id:
        # Without API credentials Google reads it from the company's feed (scheduled upload).
        return PlatformResult(
            label, "feed", "In the conversion feed", "Google Ads fetches it on its next scheduled upload."
        )
    if not configured:
        return PlatformResult(label, "not_configured", "Not configured")
    if not status["conversion"]:
        return PlatformResult(label, "none", "Nothing to send")
    reason = (
        "The visit carried no Google click id (gclid, gbraid or wbraid)."
        if google
        else "No GA client id: the visitor's _ga cookie was not captured."
    )
    return PlatformResult(label, "not_sent", "Not sent", reason)


def conversion_context(call: Call) -> dict[str, Any]:
    """The call's conversion under its company's rule, and its result at each ad platform."""
    try:
        settings: ConversionSettings | None = call.company.conversion_settings
    except ConversionSettings.DoesNotExist:
        settings = None
    try:
        call.conversion  # noqa: B018 (joined by call_for: a call without one asks nothing more)
        status = call_conversion_status(call)
    except CallConversion.DoesNotExist:
        status = {"conversion": False, "destinations": {}}
    # The ids come from the call itself (no query): what the conversion was recorded with.
    click_id, click_id_type = click_id_of(call) if status["conversion"] else ("", "")
    client_id = ga_ids(call.cookies)[0] if status["conversion"] else ""
    rule_on = settings is not None and settings.enabled
    tag_names = {tag.name for tag in call.tags.all()}
    platforms = [
        _platform_result(key, label, _configured(settings, key), status, click_id, client_id)
        for key, label in PLATFORMS
    ]
    return {
        "status": status,
        "rule_on": rule_on,
        "qualifies_now": rule_on and settings is not None and call_qualifies(call, Rule.of(settings), tag_names),
        "click_id_type": click_id_type,
        "platforms": platforms,
    }


def _clicks(call: Call) -> list[ClickEvent]:
    if not getattr(call, "has_clicks", True):
        return []
    return sorted(call.click_events.all(), key=lambda click: click.clicked_at)


def action_context(scope: Scope, call: Call) -> dict[str, Any]:
    """What the action panel (and the badges beside the heading) show."""
    tags = sorted(tag.name for tag in call.tags.all())
    return {
        "call": call,
        "call_tags": tags,
        "tag_choices": sorted(set(_tag_names(call)) | set(tags), key=str.lower) if scope.can_edit else [],
        "action_query": scope.state.query(),
        "can_edit": scope.can_edit,
        "callback_number": call.business_phone_number,
    }


def detail_context(scope: Scope, call: Call) -> dict[str, Any]:
    status, status_label = status_of(call)
    views = list(call_page_views(call)[:PAGE_VIEWS_SHOWN])
    views.reverse()  # in the order the visitor saw them
    audio = None
    if call.has_recording:
        audio = recording_audio_path(call.public_id, recording_link_expiry(scope.account))
    return {
        **action_context(scope, call),
        "title": call.customer_name or formatted(call.customer_phone_number) or "Unknown caller",
        "status": status,
        "status_label": status_label,
        "source_label": source_display(call.source) or "",
        "audio_url": audio,
        "history": _history(call),
        "page_views": views,
        "assignments": list(call_number_assignments(call)),
        "utm": _utm(call),
        "flow_trace": call_flow_trace(call),
        "conversion": conversion_context(call),
        "clicks": _clicks(call),
        "conversion_settings_url": reverse("dashboard:conversions") + f"?company={call.company.public_id}",
        "back_url": reverse("dashboard:calls") + scope.state.query(),
        "time_zone": scope.time_zone,
    }


@dashboard_view
def call_detail(request: HttpRequest, call_id: str) -> HttpResponse:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    call = call_for(scope, call_id)
    context = {**shell_context(scope, current="Calls"), **detail_context(scope, call)}
    return render(request, "dashboard/call_detail.html", context)


# --- the marketer's actions ----------------------------------------------------------------------


def _tags_change(request: HttpRequest, call: Call, scope: Scope) -> str:
    names = [name.strip() for name in request.POST.getlist("tags") if name.strip()]
    names += [name.strip() for name in request.POST.get("new_tags", "").split(",") if name.strip()]
    call_update(call=call, changes={"tags": list(dict.fromkeys(names))}, user=scope.user)
    return "Tags saved."


def _lead_change(request: HttpRequest, call: Call, scope: Scope) -> str:
    value = request.POST.get("lead_status", "")
    if value not in ("good_lead", "not_a_lead", ""):
        raise ValidationError("Choose good lead, not a lead, or not scored.")
    call_update(call=call, changes={"lead_status": value or None}, user=scope.user)
    return {"good_lead": "Marked as a good lead.", "not_a_lead": "Marked as not a lead."}.get(
        value, "Lead status cleared."
    )


def _value_change(request: HttpRequest, call: Call, scope: Scope) -> str:
    call_update(call=call, changes={"value": request.POST.get("value", "").strip() or None}, user=scope.user)
    return "Value saved."


def _note_change(request: HttpRequest, call: Call, scope: Scope) -> str:
    note = request.POST.get("note", "").strip()
    if len(note) > 10_000:
        raise ValidationError("A note is at most 10,000 characters.")
    call_update(call=call, changes={"note": note}, user=scope.user)
    return "Note saved."


def _spam_mark(request: HttpRequest, call: Call, scope: Scope) -> str:
    call_update(call=call, changes={"spam": True}, user=scope.user)
    return "Marked as spam: the call leaves the call log and the reports."


def _call_back(request: HttpRequest, call: Call, scope: Scope) -> str:
    if not call.customer_phone_number:
        raise ValidationError("This caller's number is unknown.")
    outbound = outbound_call_start(
        account=scope.account,
        company=call.company,
        caller_id=call.tracking_phone_number,
        customer_phone_number=call.customer_phone_number,
        business_phone_number=request.POST.get("business_phone_number", ""),
        agent=scope.user,
    )
    return (
        f"Calling {formatted(outbound.business_phone_number)} now: answer it, and "
        f"{formatted(call.customer_phone_number)} is rung next."
    )


ACTIONS: dict[str, Callable[[HttpRequest, Call, Scope], str]] = {
    "tags": _tags_change,
    "lead": _lead_change,
    "value": _value_change,
    "note": _note_change,
    "spam": _spam_mark,
    "call-back": _call_back,
}


@require_http_methods(["POST"])
@dashboard_view
def call_action(request: HttpRequest, call_id: str, action: str) -> HttpResponse:
    """One of the marketer's actions on a call (``ACTIONS``), saved through the API's services."""
    scope: Scope = request.scope  # type: ignore[attr-defined]
    call = call_for(scope, call_id)  # 404 first: a 403 would confirm the call exists
    if not scope.can_edit:
        raise PermissionDenied("Reporting users cannot change calls.")
    change = ACTIONS.get(action)
    if change is None:
        raise Http404("No such action.")
    error = done = ""
    try:
        done = change(request, call, scope)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:  # type: ignore[attr-defined]
        # The panel again, with the badges beside the heading swapped in out of band.
        context = {**action_context(scope, call_for(scope, call_id)), "done": done, "error": error, "oob": True}
        return render(request, ACTION_PANEL, context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(
        reverse("dashboard:call-detail", args=[call.public_id]) + scope.state.query(), status=303
    )
