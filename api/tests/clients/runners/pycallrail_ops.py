"""Every operation of pycallrail (0.9.0.2), used as its users do, with only the base URL
changed: reads through every page, then each write on the objects it returns.

Prints a JSON report: per operation, what it returned (counts and a few fields) or the
error it raised. Where the client's own answer cannot show a write, the runner reads
the result back with plain requests. Run with the pycallrail venv's python
(api/tests/clients/venvs.py); the test decides what each outcome must be.
"""

import json
import os
import traceback

from pycallrail.callrail import CallRail
from pycallrail.objects.companies import Company
from pycallrail.objects.form_submissions import FormSubmission

ACCOUNT_ID = os.environ["CALLRAIL_ACCOUNT_ID"]
COMPANY_ID = os.environ["COMPANY_ID"]


def attempt(report: dict, name: str, operation):
    """Run one operation; its result (or error) goes in the report under ``name``."""
    try:
        report[name] = {"ok": operation()}
    except Exception as exc:  # the report says what broke; the test decides
        report[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}
    return report[name].get("ok")


def main() -> None:
    client = CallRail(api_key=os.environ["CALLRAIL_KEY"])
    client.BASE_URL = os.environ["CALLRAIL_BASE_URL"]  # the one change a user makes
    base = f"{client.BASE_URL}a/{ACCOUNT_ID}"

    def read(path: str, **params) -> dict:
        """The server's view of a write, read without pycallrail."""
        response = client.session.get(f"{base}/{path}", params=params)
        response.raise_for_status()
        return response.json()

    report: dict = {}
    kept: dict = {}

    # --- accounts ------------------------------------------------------------------------
    attempt(report, "list_accounts", lambda: [account.id for account in client.list_accounts()])
    account = client.get_account(account_id=ACCOUNT_ID)
    report["get_account"] = {"ok": {"id": account.id, "name": account.name}}

    # --- calls ---------------------------------------------------------------------------
    def list_calls():
        calls = account.list_calls() or []
        kept["calls"] = calls
        return {
            "count": len(calls),
            "recordings": sum(1 for call in calls if call.recording),
            "voicemails": sum(1 for call in calls if call.voicemail),
        }

    attempt(report, "list_calls", list_calls)
    attempt(report, "list_calls_offset", lambda: len(account.list_calls(pagination_type="OFFSET") or []))
    attempt(report, "get_call", lambda: account.get_call(os.environ["ANSWERED_CALL_ID"]).id)
    calls = {call.id: call for call in kept.get("calls", [])}

    def get_recording():
        # The call's `recording` is the API's recording.json, which names the audio's URL
        # (reference: "Retrieving a Single Call Recording"); pycallrail returns that body.
        body = calls[os.environ["ANSWERED_CALL_ID"]].get_recording()
        audio = client.session.get(json.loads(body)["url"]).content
        return {"bytes": len(audio), "wav": audio[:4] == b"RIFF"}

    attempt(report, "call_get_recording", get_recording)

    def update_call():
        call = calls[os.environ["VISIT_CALL_ID"]]
        call.update(
            note="Booked for Tuesday",
            tags=["Booked"],
            value="125.00",
            lead_status="good_lead",
            customer_name="Kevin Mann",
        )
        keys = ("note", "tags", "value", "lead_status", "customer_name")
        stored = read(f"calls/{call.id}.json", fields="note,tags,value,lead_status")
        first = {key: stored[key] for key in keys}
        # pycallrail sends every field each time, the ones not given as null, which the
        # reference says clears them: this update appends a tag and clears the rest.
        call.update(tags=["Repeat"], append_tags=True)
        stored = read(f"calls/{call.id}.json", fields="note,tags,value,lead_status")
        return {"first": first, "second": {key: stored[key] for key in keys}}

    attempt(report, "call_update", update_call)

    def mark_spam():
        call = calls[os.environ["ANSWERED_CALL_ID"]]
        call.update(spam=True)
        listed = read("calls.json", per_page=250)["calls"]
        return {"still_listed": any(row["id"] == call.id for row in listed)}

    attempt(report, "call_update_spam", mark_spam)

    def create_call():
        call = account.create_call(
            caller_id=os.environ["TRACKING_NUMBER"],
            customer_phone_number="+14045550188",
            business_phone_number="+14045550101",
            recording_enabled=True,
            outbound_greeting_text="Connecting you with Alice Plumbing.",
        )
        return {"id": call.id, "direction": call.direction, "customer": call.customer_phone_number}

    attempt(report, "create_call", create_call)

    # --- tags ----------------------------------------------------------------------------
    attempt(report, "list_tags", lambda: len(account.list_tags() or []))

    def tag_lifecycle():
        tag = account.create_tag(name="Follow up", company_id=COMPANY_ID, color="blue1")
        created = {"id": tag.id, "name": tag.name, "color": tag.color, "company_id": tag.company_id}
        tag.update(name="Follow up today", color="green1")
        tag.update(disabled=True)
        after_update = read(f"tags/{tag.id}.json")
        tag.delete()
        gone = client.session.get(f"{base}/tags/{tag.id}.json").status_code
        return {
            "created": created,
            "updated": {key: after_update[key] for key in ("name", "color", "status")},
            "after_delete": gone,
        }

    attempt(report, "tag_create_update_delete", tag_lifecycle)
    attempt(report, "create_account_tag", lambda: account.create_tag(name="Everywhere", tag_level="account").id)
    attempt(report, "list_tags_with_account_tags", lambda: len(account.list_tags() or []))

    # --- companies -----------------------------------------------------------------------
    attempt(report, "list_companies", lambda: len(account.list_companies() or []))
    attempt(report, "get_company", lambda: account.get_company(COMPANY_ID).id)
    attempt(
        report, "create_company", lambda: account.create_company(name="Bob's Roofing", time_zone="America/Chicago").id
    )
    # Company objects cannot be had from the client (its model refuses the listing), so
    # one is built by hand, as pycallrail's own constructor would, to try its writes.
    company = Company.__new__(Company)
    company.api_client, company.account_id, company.id = client, ACCOUNT_ID, COMPANY_ID
    attempt(report, "company_update", lambda: company.update(name="Alice Plumbing & Heating"))
    attempt(report, "company_delete", lambda: company.delete())

    # --- form submissions ----------------------------------------------------------------
    attempt(report, "list_form_submissions", lambda: len(account.list_form_submissions() or []))

    def create_form_submission():
        return account.create_form_submission(
            company_id=COMPANY_ID,
            referrer="google_paid",
            referring_url="https://www.google.com/",
            landing_page_url="https://example.com/quote?utm_source=google",
            form_url="https://example.com/quote",
            form_data={"name": "Dana Scully", "phone": "404-555-0166", "email": "dana@example.com"},
        ).id

    attempt(report, "create_form_submission", create_form_submission)
    submission_id = read("form_submissions.json", per_page=1)["form_submissions"][0]["id"]
    submission = FormSubmission(client, ACCOUNT_ID, id=submission_id)
    attempt(
        report,
        "form_submission_update",
        lambda: submission.update(note="Called back", tags=["Quote"], value=250, lead_status="good_lead"),
    )
    stored = read(f"form_submissions/{submission_id}.json", fields="note,tags,value,lead_status")
    report["form_submission_update_stored"] = {
        "ok": {key: stored[key] for key in ("note", "tags", "value", "lead_status")}
    }

    # --- text messages -------------------------------------------------------------------
    def list_conversations():
        conversations = account.list_text_message_conversations() or []
        kept["conversations"] = conversations
        texted = next(c for c in conversations if c.id == os.environ["CONVERSATION_ID"])
        return {
            "count": len(conversations),
            "texted_directions": sorted(message.direction for message in texted.recent_messages),
        }

    attempt(report, "list_text_message_conversations", list_conversations)
    attempt(
        report,
        "get_text_message_conversation",
        lambda: account.get_text_message_conversation(os.environ["CONVERSATION_ID"]).id,
    )

    def send_text():
        conversation = account.send_text(
            company_id=COMPANY_ID,
            customer_phone_number="+14045550199",
            content="Your technician is on the way.",
            tracking_number=os.environ["TRACKING_NUMBER"],
        )
        kept["sent"] = conversation
        return {"id": conversation.id, "direction": conversation.recent_messages[0].direction}

    attempt(report, "send_text", send_text)

    def archive():
        conversation = kept["sent"]
        conversation.archive()
        archived = [row["id"] for row in read("text-messages.json", state="archived")["conversations"]]
        conversation.archive(state="active")
        return {
            "archived": conversation.id in archived,
            "state_after_unarchive": read(f"text-messages/{conversation.id}.json")["state"],
        }

    attempt(report, "conversation_archive", archive)
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
