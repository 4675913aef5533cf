"""``simulate_call --at``: a call placed at a past moment (all its rows carry that time), so
retention and reports can be tried on history. Against a real HTTP server, like
test_simulate_call.py."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import Integration, WebhookEvent
from telephony.models import Call, SimulatedCarrierRequest
from telephony.tests.test_simulate_call import server, simulate, tracker  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_a_call_placed_in_the_past_carries_that_time_in_every_row(server, tracker, company):  # noqa: F811
    Integration.objects.create(
        account=company.account,
        company=company,
        type=Integration.Type.WEBHOOKS,
        config={"pre_call_webhook": ["https://hooks.example.com/pre-call"]},
    )
    at = (timezone.now() - timedelta(days=400)).replace(microsecond=0)
    number = tracker.numbers.first()

    output = simulate(to=number.number, from_="+13035550123", digits="1", at=at.isoformat(), quiet=True)

    call = Call.objects.get()
    assert f"Call {call.public_id}" in output
    assert call.start_time == at
    assert abs(call.created_at - at) < timedelta(seconds=5)
    assert abs(call.updated_at - at) < timedelta(minutes=1)
    assert abs(call.person.created_at - at) < timedelta(seconds=5)
    event = WebhookEvent.objects.get(ordering_key=call.public_id)
    assert abs(event.created_at - at) < timedelta(seconds=5)
    assert call.recording_duration == 42


def test_the_past_call_is_purged_like_any_other(server, tracker, company, account):  # noqa: F811
    account.data_retention_days = 30
    account.save()
    number = tracker.numbers.first()
    simulate(to=number.number, from_="+13035550123", digits="1", at="2020-01-02T03:04:05+00:00", quiet=True)
    call = Call.objects.get()
    assert call.start_time.isoformat() == "2020-01-02T03:04:05+00:00"

    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert json.loads(out.getvalue())["calls"] == 1
    assert not Call.objects.exists()
    assert SimulatedCarrierRequest.objects.filter(action="delete_recording", sid=call.recording_sid).exists()


@pytest.mark.parametrize("at", ["yesterday", "2999-01-01T00:00:00"])
def test_the_moment_must_be_a_past_iso_time(server, tracker, at):  # noqa: F811
    with pytest.raises(CommandError, match="--at"):
        simulate(to=tracker.numbers.first().number, from_="+13035550123", at=at)
    assert not Call.objects.exists()


def test_a_recording_started_after_the_announcement_arrives_too(server, tracker, company):  # noqa: F811
    company.recording_disclosure = True
    company.record_after_disclosure = True
    company.save()
    output = simulate(to=tracker.numbers.first().number, from_="+13035550123", digits="1")
    call = Call.objects.get()
    assert "<Start><Recording" in output
    assert call.recording_sid.startswith("RE")
    assert call.flow_state["recording_sids"] == [call.recording_sid]
