"""pycallrail (0.9.0.2): every operation, with only its base URL changed, against the
live server and the account of seed.py.

Every operation works except where pycallrail itself is wrong, each pinned below by
the exact error it raises, so that a change on our side that broke more (or a fix on
theirs) shows:

- ``_get()`` pages every GET as a list, single objects included: ``get_call``,
  ``get_company`` and ``get_text_message_conversation`` look for ``page`` (or a list)
  in one object's body;
- ``Company.update()``/``delete()`` build their URL from ``/a/…`` and so drop ``/v3``;
- its models refuse keys they do not know, and predate documented ones: companies'
  ``swap_cookie_duration_unit`` (reference changelog, May 2024) and form submissions'
  ``customer_email``; and ``Tag`` insists on a string ``company_id``, which an
  account-level tag does not have (null, as the reference shows). Real CallRail sends
  the same; nothing to fix here.
"""

import json

import pytest

from api.tests.clients.seed import CALLS, ROWS
from api.tests.clients.venvs import run_client
from telephony.models import Call, TextConversation
from tracking.models import FormSubmission

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GETS_A_PAGE = "KeyError: 'page'"
NO_TAG_COMPANY = 'TypeCheckError: argument "company_id" (None) is not an instance of str'
NO_COOKIE_UNIT = "AttributeError: swap_cookie_duration_unit is not a valid attribute for Company"
NO_CUSTOMER_EMAIL = "AttributeError: customer_email is not a valid attribute for FormSubmission"


# pycallrail's Tag model cannot hold an account-level tag: the seed leaves them out,
# and the runner makes one itself once it has read the list.
@pytest.mark.parametrize("seeded_env", [False], indirect=True)
def test_every_pycallrail_operation(seeded_env):
    seeded, env = seeded_env
    result = run_client("pycallrail", "pycallrail_ops.py", env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    outcomes = {name: outcome.get("ok", outcome.get("error")) for name, outcome in report.items()}
    url = env["CALLRAIL_BASE_URL"].removesuffix("/v3/")
    company_path = f"/a/{seeded.account.public_id}/companies/{seeded.company.public_id}.json"
    expected_errors = {
        "get_call": GETS_A_PAGE,
        "get_company": GETS_A_PAGE,
        # The conversation carries its messages' page numbers, so the pager goes on to
        # read a list out of it and hands pycallrail's model an empty one.
        "get_text_message_conversation": "TypeError: list indices must be integers or slices, not str",
        "company_update": f"HTTPError: 404 Client Error: Not Found for url: {url}{company_path}",
        "company_delete": f"HTTPError: 404 Client Error: Not Found for url: {url}{company_path}",
        "list_companies": NO_COOKIE_UNIT,
        "create_company": NO_COOKIE_UNIT,
        "list_form_submissions": NO_CUSTOMER_EMAIL,
        "create_account_tag": NO_TAG_COMPANY,
        "list_tags_with_account_tags": NO_TAG_COMPANY,
    }
    errors = {name: outcome["error"] for name, outcome in report.items() if "error" in outcome}
    assert errors == expected_errors

    assert outcomes["list_accounts"] == [seeded.account.public_id]
    assert outcomes["get_account"]["id"] == seeded.account.public_id
    assert outcomes["list_calls"] == {"count": CALLS, "recordings": ROWS + 3, "voicemails": 1}
    assert outcomes["list_calls_offset"] == CALLS
    assert outcomes["call_get_recording"]["wav"] is True
    assert outcomes["call_update"] == {
        "first": {
            "note": "Booked for Tuesday",
            "tags": ["Booked"],
            "value": 125,
            "lead_status": "good_lead",
            "customer_name": "Kevin Mann",
        },
        # pycallrail's second update sends the fields it was not given as null (spam
        # included), and null clears (reference, "Updating a Call").
        "second": {
            "note": None,
            "tags": ["Booked", "Repeat"],
            "value": None,
            "lead_status": None,
            "customer_name": None,
        },
    }
    assert outcomes["call_update_spam"] == {"still_listed": False}
    assert Call.objects.get(public_id=env["ANSWERED_CALL_ID"]).spam is True
    created_call = Call.objects.get(public_id=outcomes["create_call"]["id"])
    assert (created_call.direction, created_call.customer_phone_number) == ("outbound", "+14045550188")

    assert outcomes["list_tags"] == ROWS + 2  # and the two the call update created
    assert outcomes["tag_create_update_delete"] == {
        "created": {
            "id": outcomes["tag_create_update_delete"]["created"]["id"],
            "name": "Follow up",
            "color": "blue1",
            "company_id": seeded.company.public_id,
        },
        "updated": {"name": "Follow up today", "color": "green1", "status": "disabled"},
        "after_delete": 404,
    }
    # The writes pycallrail could not read back still happened on the server.
    assert seeded.account.tags.filter(name="Everywhere", company=None).exists()
    assert seeded.account.companies.filter(name="Bob's Roofing", time_zone="America/Chicago").exists()
    seeded.company.refresh_from_db()
    assert seeded.company.name == "Alice Plumbing"  # the update went to a path without /v3

    submission = FormSubmission.objects.get(public_id=outcomes["create_form_submission"])
    assert (submission.customer_name, submission.customer_email) == ("Dana Scully", "dana@example.com")
    assert outcomes["form_submission_update_stored"] == {
        "note": "Called back",
        "tags": ["Quote"],
        "value": 250,
        "lead_status": "good_lead",
    }

    assert outcomes["list_text_message_conversations"] == {
        "count": ROWS + 1,
        "texted_directions": ["incoming", "outgoing"],
    }
    assert outcomes["send_text"]["direction"] == "outgoing"
    assert outcomes["conversation_archive"] == {"archived": True, "state_after_unarchive": "active"}
    sent = TextConversation.objects.get(public_id=outcomes["send_text"]["id"])
    assert (sent.customer_phone_number, sent.state) == ("+14045550199", "active")
