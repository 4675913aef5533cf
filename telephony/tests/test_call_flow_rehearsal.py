"""Test calls (a flow played through the simulated carrier in memory), the flow's preview
in words, and saving advanced flows."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Tag
from callrail.redis import get_redis
from telephony.callflows.describe import flow_preview
from telephony.callflows.rehearsal import flow_rehearse
from telephony.callflows.runtime import round_robin_key
from telephony.callflows.services import CallFlowInUse, call_flow_create, call_flow_delete, call_flow_update
from telephony.callflows.validation import as_steps, call_flow_validate
from telephony.models import Call, SimulatedCarrierRequest
from tracking.tests.factories import CallFlowFactory, TrackerFactory

pytestmark = pytest.mark.django_db

SALES, OFFICE = "+14045550101", "+14045550102"
MENU_FLOW = {
    "type": "advanced",
    "recording_enabled": True,
    "initial_step_id": 1,
    "steps": [
        {
            "id": 1,
            "type": "menu",
            "name": "Main menu",
            "prompt_text": "Press 1 for sales, 2 to leave a message.",
            "menu_options": [{"key": "1", "next_step_id": 2}, {"key": "2", "next_step_id": 3}],
        },
        {"id": 2, "type": "dial", "name": "Sales", "destination_number": SALES, "whisper_message": "Sales call"},
        {"id": 3, "type": "voicemail", "name": "Voicemail", "prompt_text": "Please leave a message."},
    ],
}
NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY_NOON = datetime(2026, 11, 4, 12, 0, tzinfo=NEW_YORK)


@pytest.fixture
def menu_flow(company):
    return CallFlowFactory(company=company, definition=call_flow_validate(MENU_FLOW))


def rehearse(flow, company, digits="", outcome="answered", at=WEDNESDAY_NOON):
    return flow_rehearse(flow=flow, company=company, caller="+13035550123", digits=digits, at=at, outcome=outcome)


def texts(result, kind=None):
    return [entry.text for entry in result.entries if kind is None or entry.kind == kind]


def test_pressing_1_rings_sales_and_the_call_is_answered(menu_flow, company):
    result = rehearse(menu_flow, company, digits="1")
    assert result.path == ["1", "2"]
    assert texts(result) == [
        "Main menu",
        "The caller presses 1",
        "Sales",
        "Rings (404) 555-0101: answered",
        "Before the call is connected, the person answering hears “Sales call”",
        "Connected: answered by (404) 555-0101",
    ]
    assert (result.answered, result.answered_by, result.voicemail) == (True, SALES, False)


def test_pressing_2_reaches_the_voicemail(menu_flow, company):
    result = rehearse(menu_flow, company, digits="2", outcome="voicemail")
    assert result.path == ["1", "3"]
    assert "The caller leaves a 42-second message" in texts(result, "keys")
    assert texts(result, "end") == ["Ends with a voicemail message"]
    assert result.voicemail and not result.answered
    # The caller who only listens hangs up at the beep.
    assert "The caller hangs up at the beep without leaving a message" in texts(rehearse(menu_flow, company, "2"))


def test_a_wrong_key_makes_the_menu_ask_again(menu_flow, company):
    result = rehearse(menu_flow, company, digits="91")
    assert "The caller hears “Sorry, that is not a valid option.”" in texts(result, "hears")
    assert result.path == ["1", "2"] and result.keys == ["9", "1"]


def test_nothing_is_recorded_anywhere(menu_flow, company):
    flow = CallFlowFactory(
        company=company,
        definition=call_flow_validate(
            {
                "type": "advanced",
                "initial_step_id": "t",
                "steps": [
                    {"id": "t", "type": "tag", "tags": ["Brand new tag"], "next_step_id": "rr"},
                    {"id": "rr", "type": "round_robin", "destination_numbers": [SALES, OFFICE]},
                ],
            }
        ),
    )
    before = get_redis().get(round_robin_key(flow.pk, "rr"))
    for _ in range(3):
        result = rehearse(flow, company, outcome="answered")
        assert result.answered_by == SALES  # the turn is only looked at, never taken
    rehearse(menu_flow, company, digits="1")
    assert get_redis().get(round_robin_key(flow.pk, "rr")) == before
    assert not Call.objects.exists()
    assert not Tag.objects.filter(name="Brand new tag").exists()
    assert not SimulatedCarrierRequest.objects.exists()


def test_the_time_of_day_follows_the_schedule(company):
    flow = CallFlowFactory(
        company=company,
        definition=call_flow_validate(
            {
                "type": "advanced",
                "initial_step_id": "hours",
                "steps": [
                    {
                        "id": "hours",
                        "type": "schedule",
                        "hours": {day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday")},
                        "open_step_id": "office",
                        "closed_step_id": "closed",
                    },
                    {"id": "office", "type": "dial", "destination_number": OFFICE},
                    {"id": "closed", "type": "hangup", "prompt_text": "We are closed."},
                ],
            }
        ),
    )
    assert rehearse(flow, company).path == ["hours", "office"]
    evening = rehearse(flow, company, at=datetime(2026, 11, 4, 18, 30, tzinfo=NEW_YORK))
    assert evening.path == ["hours", "closed"]
    assert texts(evening, "end") == ["The call ends without being answered"]


def test_nobody_answering_follows_the_timeout_step(company):
    definition = call_flow_validate(
        {
            "type": "advanced",
            "initial_step_id": 1,
            "steps": [
                {"id": 1, "type": "dial", "destination_number": SALES, "timeout_step_id": 2},
                {"id": 2, "type": "voicemail"},
            ],
        }
    )
    result = rehearse(CallFlowFactory(company=company, definition=definition), company, outcome="no-answer")
    assert result.path == ["1", "2"]
    assert "Rings (404) 555-0101: no answer" in texts(result, "ring")


def test_the_preview_reads_the_flow_as_a_tree_in_words():
    preview = flow_preview(as_steps(call_flow_validate(MENU_FLOW)))
    assert [(p.title, p.depth) for p in preview] == [("Main menu", 0), ("Sales", 1), ("Voicemail", 1)]
    assert preview[0].hears == "“Press 1 for sales, 2 to leave a message.”"
    assert preview[0].summary == (
        "Plays “Press 1 for sales, 2 to leave a message.” and waits 5 seconds for a key: 1 goes to “Sales”; "
        "2 goes to “Voicemail”. Without a valid key it asks again up to 2 times, then says goodbye and hangs up."
    )
    assert preview[1].summary == (
        "Rings (404) 555-0101 for up to 30 seconds; if nobody answers, hangs up. "
        "The person answering hears “Sales call” first."
    )
    assert preview[2].summary == "Plays “Please leave a message.”, then records a message of up to 120 seconds."


def test_the_preview_words_schedules_tags_and_messages():
    flow = as_steps(
        call_flow_validate(
            {
                "type": "advanced",
                "initial_step_id": "hello",
                "steps": [
                    {"id": "hello", "type": "message", "prompt_text": "Hi.", "next_step_id": "tag"},
                    {"id": "tag", "type": "tag", "tags": ["Website"], "next_step_id": "hours"},
                    {
                        "id": "hours",
                        "type": "schedule",
                        "time_zone": "America/Chicago",
                        "hours": {
                            **{day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday")},
                            "friday": [["09:00", "12:00"]],
                        },
                        "open_step_id": "ring",
                        "closed_step_id": "bye",
                    },
                    {"id": "ring", "type": "simultaneous", "destination_numbers": [SALES, OFFICE]},
                    {"id": "bye", "type": "hangup"},
                ],
            }
        )
    )
    summaries = {p.step["id"]: p.summary for p in flow_preview(flow)}
    assert summaries["hello"] == "Plays “Hi.”, then goes to “Tag the call tag”."
    assert summaries["tag"] == "Tags the call “Website”, then goes to “Open hours hours”."
    assert summaries["hours"] == (
        "Open Mon–Thu 09:00–17:00, Fri 09:00–12:00 (America/Chicago): goes to “Ring phones at once ring”; "
        "otherwise goes to “Hang up bye”."
    )
    assert summaries["ring"].startswith("Rings at once (404) 555-0101 and (404) 555-0102 for up to 30 seconds")
    assert summaries["bye"] == "Hangs up."


def test_flows_are_saved_checked_and_deleted_only_when_unused(company):
    flow = call_flow_create(company=company, name=" Main line ", definition=MENU_FLOW)
    assert flow.name == "Main line" and flow.definition["steps"][1]["timeout"] == 30
    broken = {**MENU_FLOW, "initial_step_id": 9}
    with pytest.raises(ValidationError) as error:
        call_flow_update(flow=flow, name="Main line", definition=broken)
    assert error.value.messages == ["call_flow.initial_step_id: no step has id 9."]
    with pytest.raises(ValidationError):
        call_flow_create(company=company, name="", definition=MENU_FLOW)
    with pytest.raises(ValidationError) as error:
        call_flow_create(company=company, name="Basic", definition={"type": "basic", "destination_number": SALES})
    assert error.value.messages == ["call_flow: an advanced flow with its steps is expected here."]

    updated = call_flow_update(flow=flow, name="Renamed", definition={**MENU_FLOW, "recording_enabled": False})
    assert (updated.name, updated.definition["recording_enabled"]) == ("Renamed", False)
    tracker = TrackerFactory(company=company, call_flow=flow)
    with pytest.raises(CallFlowInUse):
        call_flow_delete(flow=flow)
    tracker.delete()
    call_flow_delete(flow=flow)
