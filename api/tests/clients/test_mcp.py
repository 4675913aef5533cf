"""callrail-mcp (1.3.1): every tool it offers, called as an MCP host would, against the
live server and the account of seed.py. None may answer with an error envelope."""

import json

import pytest

from accounts.models import Company, Tag, User
from api.tests.clients.seed import CALLS, CUSTOMER, ROBOCALLER, ROWS
from api.tests.clients.venvs import run_client
from integrations.models import Notification
from telephony.models import Call, TextConversation
from tracking.models import FormSubmission, Tracker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_every_mcp_tool_works(seeded_env):
    seeded, env = seeded_env
    result = run_client("mcp", "mcp_ops.py", env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    errors = {name: outcome["error"] for name, outcome in report.items() if "error" in outcome}
    assert errors == {}
    ok = {name: outcome["ok"] for name, outcome in report.items()}
    # The runner called every one of the 57 tools the server offers.
    assert len(ok["tools"]) == 57
    assert set(ok["tools"]) - set(ok) == set()

    # Lists, through every page.
    counts = {name: value["count"] for name, value in ok.items() if isinstance(value, dict) and "count" in value}
    assert counts == {
        "list_companies": ROWS + 1,
        "list_users": ROWS + 1,
        "list_tags": ROWS,
        "list_trackers": 3,
        "list_integrations": 1,
        "list_notifications": 1,
        "list_calls": CALLS,
        "list_form_submissions": ROWS,
        "list_text_messages": ROWS + 1,
        "list_sms_threads": ROWS + 1,
        "list_leads": ROWS + 4,  # and the caller, the robodialer, the form and the outbound call's customer
        "paginate_companies": ROWS + 2,  # after create_company (deleting disables)
    }
    assert ok["list_companies"]["pages"] == 3
    assert ok["list_accounts"]["accounts"][0]["numeric_id"] == seeded.account.numeric_id
    assert ok["get_company"]["verified_caller_ids"] == []
    assert ok["get_integration"]["signing_key"] == seeded.company.webhook_signing_key
    assert ok["list_tags_account"]["tags"][0]["company_id"] is None

    # The calls placed through the webhooks: recording, transcribed voicemail, the visit.
    assert ok["get_call_recording"]["url"].startswith(env["CALLRAIL_BASE_URL"].removesuffix("v3/") + "calls/")
    assert ok["get_call_transcript"]["transcription"].startswith("Hi, this is a simulated caller")
    assert [view["page_url"] for view in ok["get_call_page_views"]["page_views"]] == [
        "https://example.com/contact",
        "https://example.com/pricing",
        "https://example.com/plumbing",
    ]
    assert ok["call_eligibility_check"]["google_ads_eligible"] is True
    assert ok["search_calls_by_number"]["match_count"] == 3
    assert ok["list_calls_filtered"]["total_records"] == 1  # the voicemail
    assert ok["call_summary"]["total_calls"] == CALLS
    assert ok["call_summary"]["voicemail"] == 1
    assert ok["call_stats"]["total_results"]["total_calls"] == CALLS
    assert ok["call_timeseries"]["total_results"]["total_calls"] == CALLS
    assert ok["form_stats"]["total_results"]["total_forms"] == ROWS + 1

    # Writes on calls.
    updated = ok["get_call_after_updates"]
    assert (updated["note"], updated["customer_name"], updated["lead_status"], updated["tags"]) == (
        "Asked for a quote",
        "Fox Mulder",
        "good_lead",
        ["Quote"],
    )
    assert ok["bulk_update_calls_preview"]["matched"] == CALLS
    assert (ok["bulk_update_calls"]["matched"], ok["bulk_update_calls"]["updated"]) == (1, 1)
    assert Call.objects.get(public_id=env["VOICEMAIL_CALL_ID"]).note == "Call back"
    assert {"phone": ROBOCALLER, "calls": 3} in ok["spam_detector"]["frequent_callers"]
    assert ok["spam_detector_auto_tag"]["tagged_count"] == ok["spam_detector"]["likely_spam_count"] >= 2
    assert Call.objects.filter(customer_phone_number=ROBOCALLER, tags__name="maybe_spam").count() >= 2
    assert Call.objects.get(public_id=ok["update_call_spam"]["id"]).spam is True
    outbound = Call.objects.get(public_id=ok["create_outbound_call"]["id"])
    assert (outbound.direction, outbound.agent_id) == ("outbound", seeded.admin.pk)

    # Forms.
    form = FormSubmission.objects.get(public_id=ok["update_form_submission"]["id"])
    assert (form.note, str(form.value), form.lead_status) == ("Quoted $250", "250.00", "good_lead")
    created_form = FormSubmission.objects.get(public_id=ok["create_form_submission"]["id"])
    assert ok["create_form_submission"]["lead_fields_applied"]["note"] == "Walk-in"
    assert (created_form.customer_email, created_form.note) == ("dana@example.com", "Walk-in")

    # Texts, threads and leads.
    assert [m["direction"] for m in ok["get_text_message"]["messages"]] == ["outgoing", "incoming"]
    assert [thread["customer_phone_number"] for thread in ok["list_sms_threads_search"]["sms_threads"]] == [CUSTOMER]
    thread = ok["update_sms_thread"]
    assert (thread["notes"], thread["value"], thread["tags"], thread["lead_qualification"]) == (
        "Booked for Tuesday",
        125,
        ["Booked"],
        "good_lead",
    )
    assert ok["update_sms_thread_replace"]["tags"] == ["Quote"]
    assert [message["direction"] for message in ok["get_sms_thread"]["messages"]] == ["outgoing", "incoming"]
    timeline = ok["get_lead_timeline"]
    assert timeline["lead"]["phone"] == CUSTOMER
    assert [entry["type"] for entry in timeline["timeline"]] == [
        "call",
        "call",
        "call",
        "text_message",
        "text_message",
    ]
    assert timeline["first_touch"]["id"] == env["ANSWERED_CALL_ID"]
    assert timeline["last_touch"]["id"] == env["VISIT_CALL_ID"]
    assert TextConversation.objects.get(public_id=env["CONVERSATION_ID"]).note == "Booked for Tuesday"

    # Tags, trackers, companies, users and notifications: created, changed, removed.
    assert ok["update_tag"]["status"] == "disabled"
    assert not Tag.objects.filter(name="Follow up today").exists()
    assert Tag.objects.get(name="Everywhere").company is None
    assert ok["create_tracker"]["tracking_numbers"] and ok["create_tracker"]["tracking_numbers"][0].startswith("+1404")
    assert len(ok["create_tracker_session"]["tracking_numbers"]) == 4
    after = ok["get_tracker_after_update"]
    assert (after["name"], after["destination_number"], after["sms_enabled"]) == (
        "Yelp listing (main)",
        "+14045550102",
        False,
    )
    assert after["call_flow"]["recording_enabled"] is False
    assert after["call_flow"]["greeting_text"] == "Thanks for calling Alice Plumbing."  # merged, not lost
    assert Tracker.objects.get(public_id=after["id"]).status == Tracker.Status.DISABLED
    bobs = Company.objects.get(public_id=ok["create_company"]["id"])
    assert (bobs.name, bobs.status, bobs.time_zone) == ("Bob's Roofing & Siding", "disabled", "America/Chicago")
    assert ok["create_company"]["settings_applied"] == {"callscore_enabled": False, "external_form_capture": True}
    assert not User.objects.filter(email="fox@example.com", is_active=True).exists()
    assert {company["name"] for company in ok["update_user"]["companies"]} >= {"Alice Plumbing"}
    assert ok["update_notification"]["alert_type"] == "all"
    assert not Notification.objects.filter(numeric_id=ok["create_notification"]["id"]).exists()
