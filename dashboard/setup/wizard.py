"""The new-tracker wizard's form: every answer in one Django form, one step shown at a time
(the others travel as hidden fields), each step checked by the rules the tracker service
applies, and the answers turned into the v3 API's tracker-create body at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from accounts.phone import to_e164
from telephony.callflows.validation import call_flow_validate
from telephony.numbers import number_request_validate
from telephony.trackers import session_source_validate, source_source_validate, swap_targets_validate
from tracking.models import CallFlow
from tracking.pool_stats import POOL_SIZE_MAX, POOL_SIZE_MIN


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    fields: tuple[str, ...]


STEPS = (
    Step("kind", "Kind", ("kind",)),
    Step("source", "Visitors", ("name", "source_choice", "audience", "landing_text", "referrer_text", "campaign_name")),
    Step("numbers", "Numbers", ("search", "area_code", "near_number", "pool_size")),
    Step("swap", "Your site", ("swap_targets",)),
    Step("flow", "Calls", ("flow_type", "destination", "greeting", "whisper", "recording", "advanced_flow")),
    Step("summary", "Summary", ()),
)
STEP_NAMES = [step.name for step in STEPS]

KIND_CHOICES = [
    ("session", "Website pool"),
    ("source", "Source tracking"),
]
SOURCE_CHOICES = [
    ("google_ads", "Google Ads"),
    ("google_organic", "Google organic search"),
    ("facebook", "Facebook"),
    ("landing", "A landing page"),
    ("referrer", "Another website (a referrer)"),
    ("offline", "Offline: a billboard, flyer, radio or print ad"),
]
AUDIENCE_CHOICES = [
    ("all", "All visitors"),
    ("paid", "Visitors from search ads (Google, Bing, Yahoo)"),
    ("organic", "Visitors from organic search"),
    ("landing", "Visitors who land on a page"),
    ("referrer", "Visitors from another website"),
]
SEARCH_CHOICES = [
    ("area_code", "Local, in an area code"),
    ("near", "Local, near a phone number"),
    ("toll_free", "Toll-free"),
]
FLOW_CHOICES = [
    ("basic", "Ring one phone"),
    ("advanced", "Use a call flow (menus, open hours, several phones)"),
]
DEFAULT_GREETING = "This call may be recorded for quality assurance."
SUGGESTED_NAMES = {
    "session": "Website visitors",
    "google_ads": "Google Ads",
    "google_organic": "Google organic",
    "facebook": "Facebook",
    "landing": "Landing page",
    "referrer": "Referral website",
    "offline": "Billboard",
}
# Where each field of the service's errors (``field: message``) is asked.
FIELD_STEPS = {
    "type": "kind",
    "name": "source",
    "source": "source",
    "campaign_name": "source",
    "pool_size": "numbers",
    "pool_numbers": "numbers",
    "tracking_number": "numbers",
    "swap_targets": "swap",
    "call_flow": "flow",
    "whisper_message": "flow",
    "sms_enabled": "numbers",
}


class TrackerWizardForm(forms.Form):
    kind = forms.ChoiceField(choices=KIND_CHOICES, widget=forms.RadioSelect, required=False, initial="session")
    name = forms.CharField(
        max_length=255, required=False, label="Name", help_text="How the tracker is named in your call log and reports."
    )
    source_choice = forms.ChoiceField(
        choices=SOURCE_CHOICES, widget=forms.RadioSelect, required=False, label="Which source is it for?"
    )
    audience = forms.ChoiceField(
        choices=AUDIENCE_CHOICES, widget=forms.RadioSelect, required=False, initial="all", label="Which visitors?"
    )
    landing_text = forms.CharField(
        max_length=255,
        required=False,
        label="The landing page's address contains",
        help_text="Only for a landing page: part of its address, such as /spring-sale.",
    )
    referrer_text = forms.CharField(
        max_length=255,
        required=False,
        label="The other website's domain",
        help_text="Only for another website: its domain, such as yelp.com.",
    )
    campaign_name = forms.CharField(
        max_length=255,
        required=False,
        label="Campaign name (optional)",
        help_text="Shown with every call to this number, to filter reports.",
    )
    search = forms.ChoiceField(
        choices=SEARCH_CHOICES, widget=forms.RadioSelect, required=False, initial="area_code", label="Kind of number"
    )
    area_code = forms.CharField(
        max_length=3,
        required=False,
        label="Area code",
        help_text="For a local number: three digits, such as 470.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    near_number = forms.CharField(
        max_length=30,
        required=False,
        label="Near this number",
        help_text="Or a number to be near, such as your main line.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    pool_size = forms.IntegerField(
        min_value=POOL_SIZE_MIN,
        max_value=POOL_SIZE_MAX,
        required=False,
        label="Numbers in the pool",
        help_text=f"{POOL_SIZE_MIN} to {POOL_SIZE_MAX} numbers.",
    )
    swap_targets = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Phone numbers on your website",
        help_text="One number per line, such as (404) 555-0100.",
    )
    flow_type = forms.ChoiceField(
        choices=FLOW_CHOICES, widget=forms.RadioSelect, required=False, initial="basic", label="When someone calls"
    )
    destination = forms.CharField(
        max_length=30,
        required=False,
        label="Ring this phone",
        help_text="With “Ring one phone”: the phone that rings, such as your office.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    greeting = forms.CharField(
        max_length=1000,
        required=False,
        label="Greeting (optional)",
        initial=DEFAULT_GREETING,
        help_text="Played to the caller before it rings (with “Ring one phone”).",
    )
    whisper = forms.CharField(
        max_length=255,
        required=False,
        label="Whisper to whoever answers (optional)",
        help_text="Played to whoever answers, before the caller is put through; [source] says where the caller "
        "came from.",
    )
    recording = forms.BooleanField(
        required=False,
        initial=True,
        label="Record calls",
        help_text="Hear what callers asked for. Many places require telling callers: keep the greeting.",
    )
    advanced_flow = forms.ChoiceField(
        choices=(),
        required=False,
        label="Call flow",
        help_text="With “Use a call flow”: one of the company's flows (build them under Call flows).",
    )

    def __init__(self, *args: Any, flows: list[CallFlow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flows = {str(flow.uuid): flow for flow in flows}
        cast(forms.ChoiceField, self.fields["advanced_flow"]).choices = [("", "Choose a call flow")] + [
            (str(flow.uuid), flow.name or "Unnamed flow") for flow in flows
        ]
        self.step_errors: dict[str, str] = {}
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "form-control")

    # --- reading answers -----------------------------------------------------------------

    def value(self, name: str) -> Any:
        """An answer: as cleaned once the form is checked (every step's answers are posted,
        shown or hidden), else the initial one."""
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get(name)
        return self.initial.get(name, self.fields[name].initial)

    @property
    def is_pool(self) -> bool:
        return self.value("kind") != "source"

    def steps(self) -> list[Step]:
        """The steps this tracker goes through (an offline number is not on a website)."""
        offline = not self.is_pool and self.value("source_choice") == "offline"
        return [step for step in STEPS if not (offline and step.name == "swap")]

    def set(self, name: str, value: Any) -> None:
        """Change an answer (as checked, and as the page shows it)."""
        self.cleaned_data[name] = value
        cast(QueryDict, self.data)[name] = "" if value is None else str(value)

    def suggest_name(self) -> None:
        """A name that says what the tracker is for, unless the user wrote their own."""
        current = (self.value("name") or "").strip()
        if current and current not in SUGGESTED_NAMES.values():
            return
        self.set("name", SUGGESTED_NAMES.get("session" if self.is_pool else self.value("source_choice") or "", ""))

    def first_step_with_errors(self) -> str | None:
        problems = set(self.step_errors) | set(self.errors)
        return next((step.name for step in self.steps() if problems & set(step.fields)), None)

    def hidden_fields_except(self, step: str) -> list[forms.BoundField]:
        shown = next(s.fields for s in STEPS if s.name == step)
        return [self[name] for name in self.fields if name not in shown]

    def error(self, field: str, message: str) -> None:
        self.step_errors[field] = message

    # --- each step's answers, as the service takes them ----------------------------------

    def source(self) -> dict[str, Any]:
        """``name``, ``source`` and ``campaign_name`` of the create body."""
        data: dict[str, Any] = {"name": (self.value("name") or "").strip()}
        if not data["name"]:
            self.error("name", "Give the tracker a name, so you can tell it apart in reports.")
        landing, referrer = (self.value("landing_text") or "").strip(), (self.value("referrer_text") or "").strip()
        choice = self.value("audience" if self.is_pool else "source_choice")
        if choice == "landing" and not landing:
            self.error("landing_text", "Write a word or path of the landing page's address, such as /spring-sale.")
        if choice == "referrer" and not referrer:
            self.error("referrer_text", "Write the other website's domain, such as yelp.com.")
        if not choice:
            self.error("source_choice", "Choose the source this number is for.")
            return data
        if self.is_pool:
            data["source"] = session_source_validate(_session_source(choice, landing, referrer))
        else:
            data["source"] = source_source_validate(_source_source(choice, landing, referrer))
            data["campaign_name"] = (self.value("campaign_name") or "").strip()
        return data

    def number_request(self) -> dict[str, Any]:
        search = self.value("search") or "area_code"
        request: dict[str, Any] = {"toll_free": search == "toll_free"}
        if search == "area_code":
            request["area_code"] = (self.value("area_code") or "").strip()
            if not request["area_code"]:
                self.error("area_code", "Write the area code your numbers should have, such as 470.")
        elif search == "near":
            request["local"] = (self.value("near_number") or "").strip()
            if not request["local"]:
                self.error("near_number", "Write a phone number, such as your main line.")
        if any(name in self.step_errors for name in ("area_code", "near_number")):
            return request
        try:
            return number_request_validate(request)
        except ValidationError as exc:
            self.error("near_number" if search == "near" else "area_code", exc.messages[0])
            return request

    def numbers(self) -> dict[str, Any]:
        """``pool_size`` and ``pool_numbers`` (or ``tracking_number``) of the create body."""
        request = self.number_request()
        if not self.is_pool:
            return {"tracking_number": request}
        size = self.value("pool_size")
        if size is None:
            self.error("pool_size", f"Choose how many numbers the pool has ({POOL_SIZE_MIN} to {POOL_SIZE_MAX}).")
        return {"pool_numbers": request, "pool_size": size}

    def swap(self) -> dict[str, Any]:
        lines = [line.strip() for line in (self.value("swap_targets") or "").replace(",", "\n").splitlines()]
        try:
            return {"swap_targets": swap_targets_validate([line for line in lines if line])}
        except ValidationError as exc:
            self.error("swap_targets", exc.messages[0].removeprefix("swap_targets: "))
            return {}

    def flow(self) -> dict[str, Any]:
        """``call_flow`` and ``whisper_message`` of the create body."""
        whisper = (self.value("whisper") or "").strip()
        if self.value("flow_type") == "advanced":
            chosen = self.flows.get(self.value("advanced_flow") or "")
            if chosen is None:
                self.error("advanced_flow", "Choose one of the company's call flows.")
                return {}
            return {"call_flow": {"type": "advanced", "uuid": str(chosen.uuid)}, "whisper_message": whisper}
        try:
            destination = to_e164(self.value("destination") or "")
        except ValidationError as exc:
            self.error("destination", exc.messages[0] + " Write the phone that should ring, such as your office.")
            return {}
        flow = {
            "type": "basic",
            "destination_number": destination,
            "recording_enabled": bool(self.value("recording")),
            "greeting_text": (self.value("greeting") or "").strip() or None,
        }
        try:
            return {"call_flow": call_flow_validate(flow), "whisper_message": whisper}
        except ValidationError as exc:
            self.error("greeting", exc.messages[0])
            return {}

    def check(self, step: str) -> dict[str, Any]:
        """The create body's part of ``step``; problems land in ``step_errors``."""
        if step == "kind":
            return {"type": "session" if self.is_pool else "source"}
        readers = {"source": self.source, "numbers": self.numbers, "swap": self.swap, "flow": self.flow}
        reader = readers.get(step)
        if reader is None:
            return {}
        try:
            return reader()
        except ValidationError as exc:
            self.error(next(s.fields for s in STEPS if s.name == step)[0], exc.messages[0])
            return {}

    def body(self) -> dict[str, Any]:
        """The whole tracker-create body (check ``step_errors`` after)."""
        data: dict[str, Any] = {}
        for step in self.steps():
            data.update(self.check(step.name))
        return data


def _session_source(choice: str, landing: str, referrer: str) -> Any:
    engines = ("google", "bing", "yahoo")
    return {
        "all": "all",
        "paid": {engine: ["paid"] for engine in engines},
        "organic": {engine: ["organic"] for engine in engines},
        "landing": {"landing": [landing]},
        "referrer": {"referrer": [referrer]},
    }[choice]


def _source_source(choice: str, landing: str, referrer: str) -> dict[str, Any]:
    return {
        "google_ads": {"type": "search", "search_engine": "google", "search_type": "paid"},
        "google_organic": {"type": "search", "search_engine": "google", "search_type": "organic"},
        "facebook": {"type": "web_referrer", "referrer": "facebook.com"},
        "landing": {"type": "landing_url", "landing": landing},
        "referrer": {"type": "web_referrer", "referrer": referrer},
        "offline": {"type": "offline"},
    }[choice]
