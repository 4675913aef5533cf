"""Call flows: the company's advanced flows, a builder that edits one as a tree of step
forms (saved through the call flow services, checked like the API checks them), its
preview in words, test calls through the simulated carrier, and putting a flow to use."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.phone import to_e164
from dashboard.setup.flow_form import ADDABLE, Draft, draft_from_post, step_cards
from dashboard.views.setup import SetupPage, call_flow_for, company_choice, tracker_for
from telephony.call_simulator import OUTCOMES
from telephony.callflows.describe import STEP_TYPE_LABELS, flow_preview
from telephony.callflows.rehearsal import OUTCOME_LABELS, Rehearsal, flow_rehearse
from telephony.callflows.services import CallFlowInUse, call_flow_create, call_flow_delete, call_flow_update
from telephony.callflows.validation import as_steps, call_flow_validate
from telephony.carrier import CarrierError
from telephony.trackers import tracker_update
from tracking.models import CallFlow, Tracker

TEMPLATES = {
    "menu": "A menu: press 1 to ring your phone, 2 to leave a message",
    "hours": "Open hours: ring your phone when open, take a message when closed",
    "ring": "Just ring your phone (add steps later)",
}


def starter_flow(template: str, phone: str) -> dict[str, Any]:
    """A first flow to edit, valid from the start."""
    voicemail = {"id": 3, "type": "voicemail", "name": "Voicemail", "prompt_text": "Please leave a message."}
    ring = {"id": 2, "type": "dial", "name": "Ring the office", "destination_number": phone, "timeout_step_id": 3}
    if template == "menu":
        menu = {
            "id": 1,
            "type": "menu",
            "name": "Main menu",
            "prompt_text": "Thanks for calling. Press 1 to talk to us, or 2 to leave a message.",
            "menu_options": [
                {"key": "1", "description": "Talk to us", "next_step_id": 2},
                {"key": "2", "description": "Leave a message", "next_step_id": 3},
            ],
        }
        steps = [menu, ring, voicemail]
    elif template == "hours":
        hours = {
            "id": 1,
            "type": "schedule",
            "name": "Open hours",
            "hours": {day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            "open_step_id": 2,
            "closed_step_id": 3,
        }
        steps = [hours, ring, voicemail]
    else:
        steps = [{**ring, "id": 1, "timeout_step_id": None}]
    return {"type": "advanced", "recording_enabled": False, "initial_step_id": 1, "steps": steps}


class NewFlowForm(forms.Form):
    name = forms.CharField(max_length=255, label="Name", help_text="Such as “Main line” or “After hours”.")
    template = forms.ChoiceField(
        choices=list(TEMPLATES.items()), widget=forms.RadioSelect, initial="menu", label="Start from"
    )
    phone = forms.CharField(
        max_length=30,
        label="Phone to ring",
        help_text="The phone the flow rings, such as your office. You can add more phones after.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "phone"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")

    def clean_phone(self) -> str:
        try:
            return to_e164(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc


class TestCallForm(forms.Form):
    caller = forms.CharField(
        max_length=30,
        initial="+1 303 555 0123",
        label="Caller",
        help_text="The caller's number (a repeat caller of a round robin gets the same person).",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    digits = forms.CharField(
        max_length=20,
        required=False,
        label="Keys pressed",
        help_text="One key per menu, in order, such as 1 or 21. Empty: the caller presses nothing.",
    )
    when = forms.DateTimeField(
        label="When",
        help_text="For open hours.",
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    outcome = forms.ChoiceField(choices=[(o, OUTCOME_LABELS[o]) for o in OUTCOMES], label="When a phone rings")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name == "outcome" else "form-control")

    def clean_caller(self) -> str:
        try:
            return to_e164(self.cleaned_data["caller"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc

    def clean_digits(self) -> str:
        digits = "".join(self.cleaned_data["digits"].split())
        if any(key not in "0123456789*#" for key in digits):
            raise forms.ValidationError("Use the phone's keys only: 0-9, * and #.")
        return digits


class CallFlowsView(SetupPage):
    template_name = "dashboard/call_flows.html"
    title = "Call flows"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        flows = (
            CallFlow.objects.filter(company__in=self.scope.selected_companies, definition__type="advanced")
            .select_related("company")
            .prefetch_related("trackers")
            .order_by("company__name", "name", "pk")
        )
        rows = []
        for flow in flows:
            try:
                preview = flow_preview(as_steps(call_flow_validate(flow.definition)))
            except ValidationError:
                preview = []
            rows.append({"flow": flow, "first": preview[0] if preview else None, "steps": len(preview)})
        return {**super().get_context_data(**kwargs), "rows": rows}


class CallFlowNewView(SetupPage):
    template_name = "dashboard/call_flow_new.html"
    title = "New call flow"
    nav = "Call flows"
    company_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"form": NewFlowForm(), **super().get_context_data(**kwargs)}

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.scope.company is None:
            return company_choice(request, self.scope, self.title, self.nav)
        form = NewFlowForm(request.POST)
        if form.is_valid():
            definition = starter_flow(form.cleaned_data["template"], form.cleaned_data["phone"])
            flow = call_flow_create(company=self.company, name=form.cleaned_data["name"], definition=definition)
            messages.success(request, f"“{flow.name}” is saved. Change its steps below, then try a test call.")
            return self.back("dashboard:call-flow", flow_id=flow.uuid)
        return self.render_to_response(self.get_context_data(form=form))


class CallFlowView(SetupPage):
    """The builder: GET shows the saved flow; POST saves, adds a step, or runs a test call."""

    template_name = "dashboard/call_flow.html"
    nav = "Call flows"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.test_result: Rehearsal | None = None

    def flow(self) -> CallFlow:
        return call_flow_for(self.scope, str(self.kwargs["flow_id"]))

    def page(self, flow: CallFlow, draft: Draft, test_form: TestCallForm | None = None) -> HttpResponse:
        self.title = flow.name or "Call flow"
        saved = as_steps(call_flow_validate(flow.definition))
        tz = ZoneInfo(flow.company.time_zone)
        test_form = test_form or TestCallForm(
            initial={"when": timezone.localtime(timezone.now(), tz).replace(tzinfo=None)}
        )
        used_by = list(flow.trackers.filter(status=Tracker.Status.ACTIVE).order_by("name"))
        others = Tracker.objects.filter(company=flow.company, status=Tracker.Status.ACTIVE).exclude(call_flow=flow)
        cards = step_cards(draft)
        context = self.get_context_data(
            flow=flow,
            draft=draft,
            cards=cards,
            places=max((card.place for card in cards), default=-1) + 1,
            choices=[(card.step["id"], card.title) for card in cards],
            addable=[(kind, STEP_TYPE_LABELS[kind]) for kind in ADDABLE],
            preview=flow_preview(saved),
            test_form=test_form,
            result=self.test_result,
            used_by=used_by,
            others=list(others.order_by("name")),
            time_zone=flow.company.time_zone,
        )
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        flow = self.flow()
        return self.page(flow, Draft.from_flow(flow.name, flow.definition))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        flow = self.flow()
        draft = draft_from_post(request.POST)
        if request.POST.get("action") == "add":
            kind = request.POST.get("add_type", "")
            if kind in ADDABLE:
                step = draft.add(kind)
                messages.info(request, f"Added “{step['name']}”. Fill it in and link a step to it, then save.")
            return self.page(flow, draft)
        if draft.errors:
            return self.page(flow, draft)
        try:
            call_flow_update(flow=flow, name=draft.name, definition=draft.definition())
        except ValidationError as exc:
            for message in exc.messages:
                if message.startswith("name: "):
                    draft.general_errors.append("Name: " + message.removeprefix("name: "))
                else:
                    draft.place_errors([message])
            return self.page(flow, draft)
        messages.success(request, f"“{draft.name}” is saved. Every tracker using it answers calls with it now.")
        return self.back("dashboard:call-flow", flow_id=flow.uuid)


class CallFlowTestView(CallFlowView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        flow = self.flow()
        form = TestCallForm(request.POST)
        if form.is_valid():
            when: datetime = form.cleaned_data["when"]
            at = when.replace(tzinfo=ZoneInfo(flow.company.time_zone)) if timezone.is_naive(when) else when
            self.test_result = flow_rehearse(
                flow=flow,
                company=flow.company,
                caller=form.cleaned_data["caller"],
                digits=form.cleaned_data["digits"],
                at=at,
                outcome=form.cleaned_data["outcome"],
            )
        return self.page(flow, Draft.from_flow(flow.name, flow.definition), form)


class CallFlowUseView(SetupPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, flow_id: Any) -> HttpResponse:
        flow = call_flow_for(self.scope, str(flow_id))
        tracker = tracker_for(self.scope, request.POST.get("tracker", ""))
        if tracker.company_id != flow.company_id:
            messages.error(request, "A tracker can only use a call flow of its own company.")
        else:
            try:
                tracker_update(tracker=tracker, changes={"call_flow": {"type": "advanced", "uuid": str(flow.uuid)}})
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            except CarrierError:
                messages.error(request, "The change could not be made right now. Try again in a minute.")
            else:
                messages.success(request, f"Calls to “{tracker.name}” now go through “{flow.name}”.")
        return self.back("dashboard:call-flow", flow_id=flow.uuid)


class CallFlowDeleteView(SetupPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, flow_id: Any) -> HttpResponse:
        flow = call_flow_for(self.scope, str(flow_id))
        try:
            call_flow_delete(flow=flow)
        except CallFlowInUse as exc:
            messages.error(request, exc.messages[0])
            return self.back("dashboard:call-flow", flow_id=flow.uuid)
        messages.success(request, f"“{flow.name}” is deleted.")
        return self.back("dashboard:call-flows")
