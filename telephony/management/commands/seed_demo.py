"""Create the demo account on first run and print its credentials (``make run``).

The plain password and API key are kept in ``VAR_DIR/demo.json`` (mode 0600) so
later runs can print them again; the database stores only hashes.

The demo company gets a website pool (a session tracker with four fictional
numbers that also texts), a Google Ads call extension number (a source tracker
that rings the office, then takes a voicemail), and the demo business page at
/demo/ that embeds its swap.js, so a newcomer sees the swap at once. On the first
run it also lives three weeks (``telephony.demo``): visits, calls, texts and forms,
so every page of the dashboard is filled. Running it again changes nothing.
"""

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import Company, User
from accounts.services import admin_bootstrap, company_create
from telephony.callflows.validation import call_flow_validate
from telephony.demo import demo_history_seed
from telephony.models import Call
from tracking.models import CallFlow, Tracker, TrackingNumber

DEMO_EMAIL = "demo@example.com"
DEMO_ACCOUNT = "Demo Agency"
DEMO_COMPANY = "Demo Plumbing Co."
# The business's own line, shown on the demo page (and what the trackers swap).
DEMO_BUSINESS_NUMBER = "+14045550100"
# Fictional numbers (NXX-555-01xx), the simulated carrier's range.
DEMO_POOL_NUMBERS = ("+14705550101", "+14705550102", "+14705550103", "+14705550104")
DEMO_ADS_NUMBER = "+14705550105"
DEMO_CALLER = "+14045550999"
# Calls straight from the ads (no website visit): ring the office, then a voicemail.
ADS_FLOW = {
    "type": "advanced",
    "recording_enabled": True,
    "initial_step_id": "greeting",
    "steps": [
        {
            "id": "greeting",
            "type": "message",
            "prompt_text": "Thanks for calling Demo Plumbing.",
            "next_step_id": "office",
        },
        {
            "id": "office",
            "type": "dial",
            "destination_number": DEMO_BUSINESS_NUMBER,
            "timeout": 20,
            "timeout_step_id": "voicemail",
        },
        {
            "id": "voicemail",
            "type": "voicemail",
            "prompt_text": "Sorry we missed you. Leave a message and we will call you back.",
            "transcribe": True,
        },
    ],
}


def demo_trackers_ensure(company: Company) -> Tracker:
    """The demo company's call flow, website pool and Google Ads tracker (idempotent)."""
    account = company.account
    flow, _ = CallFlow.objects.get_or_create(
        company=company,
        name="Ring the office",
        defaults={
            "account": account,
            "definition": {
                "type": "basic",
                "destination_number": DEMO_BUSINESS_NUMBER,
                "recording_enabled": True,
                "greeting_text": "Thanks for calling Demo Plumbing. Connecting you now.",
                "greeting_recording_url": None,
            },
        },
    )
    ads_flow, _ = CallFlow.objects.get_or_create(
        company=company,
        name="Ring the office, then voicemail",
        defaults={"account": account, "definition": call_flow_validate(ADS_FLOW)},
    )
    pool, _ = Tracker.objects.get_or_create(
        company=company,
        name="Website visitors",
        defaults={
            "account": account,
            "type": Tracker.Type.SESSION,
            "call_flow": flow,
            "source": {"type": "all"},
            "swap_targets": [DEMO_BUSINESS_NUMBER],
            "pool_size": len(DEMO_POOL_NUMBERS),
            "whisper_message": "Call from [source]",
            "number_request": {"area_code": "470"},
            "sms_enabled": True,
        },
    )
    # The number on the ads themselves (a call extension): website visitors from the ads get
    # a pool number instead, so their calls keep the click (gclid) and the keywords.
    ads, _ = Tracker.objects.get_or_create(
        company=company,
        name="Google Ads",
        defaults={
            "account": account,
            "type": Tracker.Type.SOURCE,
            "call_flow": ads_flow,
            "source": {"type": "google_ad_extension"},
            "swap_targets": [],
            "campaign_name": "Spring plumbing",
            "number_request": {"area_code": "470"},
        },
    )
    for tracker, numbers in ((pool, DEMO_POOL_NUMBERS), (ads, (DEMO_ADS_NUMBER,))):
        for number in numbers:
            if not TrackingNumber.objects.filter(number=number, status=TrackingNumber.Status.ACTIVE).exists():
                # Fictional numbers need no carrier: they exist only in the simulated one.
                TrackingNumber.objects.create(
                    account=account, tracker=tracker, number=number, carrier_sid=f"PNdemo{number[-4:]}"
                )
    if not company.form_capture:
        company.form_capture = True
        company.save(update_fields=["form_capture", "updated_at"])
    return pool


def demo_lines() -> list[str]:
    base = settings.PUBLIC_BASE_URL
    # A command that works as printed from a second terminal in the checkout: the
    # same data directory (and so the same settings and secret) and server as this `make run`.
    env: list[str] = []
    if Path(settings.VAR_DIR).resolve() != (Path(settings.BASE_DIR) / "var").resolve():
        env.append(f"VAR_DIR={settings.VAR_DIR}")
    if base != "http://127.0.0.1:8000":
        env.append(f"PUBLIC_BASE_URL={base}")
    command = " ".join(
        [*env, f".venv/bin/python manage.py simulate_call --to {DEMO_POOL_NUMBERS[0]} --from {DEMO_CALLER}"]
    )
    return [
        f"Demo site         : {base}/demo/  (each visitor session gets its own number; add ?calltrk_debug=1)",
        "Simulate a call   : open the demo site first, so a visitor holds the number, then run:",
        f"                    {command}",
    ]


def _credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo.json"


class Command(BaseCommand):
    help = "Create the demo account, admin, API key and company if missing; print the credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--without-history", action="store_true", help="only the account, company and trackers (no past weeks)"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        path = _credentials_path()
        saved = json.loads(path.read_text()) if path.exists() else None
        user = User.objects.filter(email=DEMO_EMAIL).select_related("account").first()
        if saved is None or user is None or saved.get("account_id") != user.account.public_id:
            password = saved["password"] if saved and user else secrets.token_urlsafe(12)
            result = admin_bootstrap(email=DEMO_EMAIL, password=password, account_name=DEMO_ACCOUNT)
            if not result.created:
                result.user.set_password(password)
                result.user.save(update_fields=["password"])
            company = result.account.companies.first() or company_create(account=result.account, name=DEMO_COMPANY)
            saved = {
                "email": DEMO_EMAIL,
                "password": password,
                "account_id": result.account.public_id,
                "company_id": company.public_id,
                "api_key": result.api_key,
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(saved))
            path.chmod(0o600)
        demo_company = Company.objects.filter(public_id=saved["company_id"]).first()
        if demo_company is not None:
            demo_trackers_ensure(demo_company)
            if not options["without_history"] and not saved.get("history_seeded"):
                # Once: a demo already in use keeps what its users made.
                if not Call.objects.filter(company=demo_company).exists():
                    self.stderr.write("Living three weeks of the demo company (first run only)...")
                    history = demo_history_seed(
                        company=demo_company, user=User.objects.filter(email=DEMO_EMAIL).first()
                    )
                    self.stderr.write(
                        f"  {history.visits} visits, {history.calls} calls, {history.texts} texts,"
                        f" {history.forms} form submissions."
                    )
                saved["history_seeded"] = True
                path.write_text(json.dumps(saved))
        shown = {**saved, "extra_lines": demo_lines()}
        if options["json"]:
            self.stdout.write(json.dumps(shown))
        else:
            for key, value in saved.items():
                self.stdout.write(f"{key}: {value}")
            for line in shown["extra_lines"]:
                self.stdout.write(line)
