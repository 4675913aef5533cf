import pytest
from django.core.exceptions import ValidationError

from telephony.callflows.validation import call_flow_validate, fallback_destination


def advanced(steps, initial=1, **extra):
    return {"type": "advanced", "recording_enabled": False, "initial_step_id": initial, "steps": steps, **extra}


def test_it_normalises_a_basic_flow():
    flow = call_flow_validate({"type": "basic", "destination_number": "(404) 555-0199", "greeting_text": " Hi "})
    assert flow == {
        "type": "basic",
        "recording_enabled": False,
        "destination_number": "+14045550199",
        "greeting_text": "Hi",
        "greeting_recording_url": None,
    }


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"type": "basic"}, "destination_number"),
        ({"type": "basic", "destination_number": "nope"}, "not a valid phone number"),
        ({"type": "basic", "destination_number": "+14045550199", "recording_enabled": "yes"}, "true or false"),
        (
            {"type": "basic", "destination_number": "+14045550199", "greeting_recording_url": "ftp://x/a.mp3"},
            r"http\(s\) URL",
        ),
        (
            {"type": "basic", "destination_number": "+14045550199", "greeting_recording_url": "https://x/a.ogg"},
            r"\.wav or \.mp3",
        ),
        ({"type": "fancy"}, "basic or advanced"),
        ("basic", "must be an object"),
    ],
)
def test_it_rejects_bad_basic_flows(definition, message):
    with pytest.raises(ValidationError, match=message):
        call_flow_validate(definition)


def test_it_accepts_the_reference_example_with_every_step_type():
    steps = [
        {
            "id": 1,
            "type": "schedule",
            "hours": {"monday": [["09:00", "17:00"]], "friday": [["09:00", "12:00"], ["13:00", "17:00"]]},
            "closed_dates": ["2025-12-25"],
            "open_step_id": 2,
            "closed_step_id": 250778404,
        },
        {"id": 2, "type": "tag", "tags": ["Business hours"], "next_step_id": 210884509},
        {
            "prompt_type": "text",
            "prompt_recording_id": None,
            "prompt_text": "Press 1 for Sales, press 2 for Support.",
            "menu_options": [
                {"key": "1", "description": "Forward to Sales", "next_step_id": 344126405},
                {"key": "2", "description": "Forward to Support", "next_step_id": 5},
                {"key": "3", "description": "Team", "next_step_id": 6},
                {"key": "0", "description": "Bye", "next_step_id": 7},
            ],
            "id": 210884509,
            "type": "menu",
        },
        {"destination_number": "+15551234567", "timeout": 60, "timeout_step_id": None, "id": 344126405, "type": "dial"},
        {
            "id": 5,
            "type": "simultaneous",
            "destination_numbers": ["+14045550101", "+14045550102"],
            "timeout_step_id": 250778404,
        },
        {"id": 6, "type": "round_robin", "destination_numbers": ["+14045550103", "+14045550104"]},
        {"id": 7, "type": "hangup", "prompt_text": "Goodbye"},
        {
            "prompt_type": "text",
            "prompt_recording_id": None,
            "prompt_text": "Thank you for your support call. Please leave a message.",
            "transcribe": False,
            "id": 250778404,
            "type": "voicemail",
        },
    ]
    flow = call_flow_validate(advanced(steps))
    assert [step["type"] for step in flow["steps"]] == [
        "schedule",
        "tag",
        "menu",
        "dial",
        "simultaneous",
        "round_robin",
        "hangup",
        "voicemail",
    ]
    menu = flow["steps"][2]
    assert (menu["timeout"], menu["repeat"], menu["no_input_step_id"]) == (5, 2, None)
    assert flow["steps"][3]["destination_number"] == "+15551234567"
    assert flow["steps"][5]["timeout"] == 30
    assert flow["steps"][7]["max_length"] == 120
    assert flow["steps"][0]["hours"]["sunday"] == []
    assert fallback_destination(advanced(steps)) == "+15551234567"


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (advanced([{"id": 1, "type": "dial", "destination_number": "+14045550101"}], initial=9), "no step has id 9"),
        (
            advanced([{"id": 1, "type": "dial", "destination_number": "+14045550101", "timeout_step_id": 4}]),
            "refers to step 4, which does not exist",
        ),
        (
            advanced(
                [
                    {"id": 1, "type": "dial", "destination_number": "+14045550101"},
                    {"id": 2, "type": "voicemail"},
                ]
            ),
            "step 2 can never be reached",
        ),
        (
            advanced(
                [
                    {"id": 1, "type": "dial", "destination_number": "+14045550101", "timeout_step_id": 1},
                    {"id": 1, "type": "voicemail"},
                ]
            ),
            "used twice",
        ),
        (
            advanced(
                [
                    {"id": 1, "type": "tag", "tags": ["a"], "next_step_id": 2},
                    {"id": 2, "type": "message", "prompt_text": "hi", "next_step_id": 1},
                ]
            ),
            "loop back",
        ),
        (
            advanced(
                [
                    {
                        "id": 1,
                        "type": "menu",
                        "prompt_text": "Press",
                        "menu_options": [{"key": "12", "next_step_id": 1}],
                    }
                ]
            ),
            "one key",
        ),
        (advanced([{"id": 1, "type": "menu", "prompt_text": "Press", "menu_options": []}]), "at least one option"),
        (
            advanced([{"id": 1, "type": "schedule", "hours": {"mon": []}, "open_step_id": 1, "closed_step_id": 1}]),
            "unknown day",
        ),
        (
            advanced(
                [
                    {
                        "id": 1,
                        "type": "schedule",
                        "hours": {"monday": [["17:00", "09:00"]]},
                        "open_step_id": 1,
                        "closed_step_id": 1,
                    }
                ]
            ),
            "close after it opens",
        ),
        (advanced([{"id": 1, "type": "teleport"}]), "must be one of"),
        (advanced([]), "at least one step"),
        (advanced([{"id": 1, "type": "simultaneous", "destination_numbers": ["+14045550101"]}]), "2 to 10"),
        ({"type": "advanced", "uuid": "not-a-uuid"}, "not a valid call flow id"),
    ],
)
def test_it_rejects_broken_advanced_flows(definition, message):
    with pytest.raises(ValidationError, match=message):
        call_flow_validate(definition)


def test_a_menu_may_loop_back_to_itself():
    flow = advanced(
        [
            {
                "id": 1,
                "type": "menu",
                "prompt_text": "Press 9 to hear this again",
                "menu_options": [{"key": "9", "next_step_id": 1}, {"key": "1", "next_step_id": 2}],
            },
            {"id": 2, "type": "dial", "destination_number": "+14045550101"},
        ]
    )
    assert call_flow_validate(flow)["steps"][0]["menu_options"][0]["next_step_id"] == 1


def test_an_existing_advanced_flow_is_assigned_by_uuid():
    flow = call_flow_validate({"type": "advanced", "uuid": "4D28A8D3-0137-4c9f-9c1f-a5505cef0674"})
    assert flow == {"type": "advanced", "uuid": "4d28a8d3-0137-4c9f-9c1f-a5505cef0674"}
