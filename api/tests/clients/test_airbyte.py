"""airbyte-source-callrail (0.1.14): spec, check, discover, and reads of every stream
in full refresh and incremental, then an incremental read resumed from the saved state
once new calls and texts have come in, against the live server and the account of
seed.py.

The connector pages by the ``Link: <…>; rel="next"`` header, which the offset
pagination sends (api/v3/pagination.py).
"""

import json

import pytest
from django.utils import timezone

from api.tests.clients.seed import CALLS, ROWS
from api.tests.clients.venvs import run_client
from api.tests.factories import CallFactory, TextConversationFactory, TextMessageFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Where the connector's bundled JSON schemas disagree with the reference, which the API
# follows: recording_duration is a string, keypad_entries a list of {name, value}
# objects, swap_ppc_override a boolean (reference, "Listing All Calls" and "Companies").
# The records still sync; the check pins that nothing else disagrees.
SCHEMA_DIFFERENCES = {
    "calls": {
        "recording_duration": "is not of type 'null', 'integer'",
        "keypad_entries": "[] is not of type 'null', 'string'",
    },
    "companies": {"swap_ppc_override": "True is not of type 'null', 'string'"},
}


def _report(result) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _differences(read: dict) -> dict:
    """Fields whose values break the connector's schema, with the reason (the value a
    recording_duration message quotes varies from record to record)."""
    return {
        stream: {
            field: message.split(" ", 1)[1] if field == "recording_duration" else message
            for field, message in fields.items()
        }
        for stream, fields in read["invalid"].items()
    }


def test_the_airbyte_connector_syncs_every_stream(seeded_env, tmp_path):
    seeded, env = seeded_env
    env = {**env, "STATE_FILE": str(tmp_path / "state.json")}
    report = _report(run_client("airbyte", "airbyte_ops.py", env, ["full"]))
    assert report["errors"] == []
    assert report["spec"] == ["api_key", "account_id", "start_date"]
    assert report["check"]["status"] == "SUCCEEDED", report["check"]
    assert report["discover"] == {
        "calls": {"sync_modes": ["full_refresh", "incremental"], "cursor": ["start_time"]},
        "conversations": {"sync_modes": ["full_refresh", "incremental"], "cursor": ["last_message_at"]},
        "users": {"sync_modes": ["full_refresh", "incremental"], "cursor": ["created_at"]},
        "companies": {"sync_modes": ["full_refresh", "incremental"], "cursor": ["created_at"]},
    }
    expected = {"calls": CALLS, "conversations": ROWS + 1, "users": ROWS + 1, "companies": ROWS + 1}
    for read in ("full_refresh", "incremental"):
        records = report[read]["records"]
        assert {stream: len(ids) for stream, ids in records.items()} == expected, read
        assert all(len(set(ids)) == len(ids) for ids in records.values()), f"{read} repeated records"
        assert _differences(report[read]) == SCHEMA_DIFFERENCES, read
    state = {
        item["stream"]["stream_descriptor"]["name"]: item["stream"]["stream_state"]
        for item in report["incremental"]["state"]
    }
    assert set(state["calls"]) == {"start_time"} and set(state["conversations"]) == {"last_message_at"}

    # New activity since the sync: a call and a text conversation.
    now = timezone.now()
    call = CallFactory(company=seeded.company, start_time=now)
    conversation = TextConversationFactory(company=seeded.company, last_message_at=now)
    TextMessageFactory(conversation=conversation)
    again = _report(run_client("airbyte", "airbyte_ops.py", env, ["incremental"]))
    assert again["errors"] == []
    records = again["incremental_again"]["records"]
    assert call.public_id in records["calls"]
    assert conversation.public_id in records["conversations"]
    # Resumed from the state: the older history is not read again.
    assert len(records["calls"]) < CALLS
    assert len(records["conversations"]) < ROWS + 1
