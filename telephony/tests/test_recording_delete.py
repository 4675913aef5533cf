"""Deleting a recording at the carrier (retention and erasure), idempotent on both carriers."""

import pytest

from telephony.carrier import CarrierError
from telephony.models import SimulatedCarrierRequest
from telephony.simulated_carrier import SimulatedCarrier
from telephony.tests.test_twilio_carrier import SID, carrier

pytestmark = pytest.mark.django_db


def test_twilio_deletes_the_recording_resource():
    twilio, http = carrier((204, None))
    twilio.recording_delete("RE0123")
    request = http.requests[0]
    assert request["method"] == "DELETE"
    assert request["uri"].endswith(f"/Accounts/{SID}/Recordings/RE0123.json")


def test_a_recording_already_gone_is_not_an_error():
    twilio, _ = carrier((404, {"code": 20404, "message": "not found", "status": 404}))
    twilio.recording_delete("RE0123")


def test_other_failures_are_carrier_errors():
    twilio, _ = carrier((500, {"code": 20500, "message": "Internal error", "status": 500}))
    with pytest.raises(CarrierError, match="RE0123"):
        twilio.recording_delete("RE0123")


def test_the_simulated_carrier_notes_the_deletion():
    SimulatedCarrier().recording_delete("RE0123")
    assert SimulatedCarrierRequest.objects.get().action == SimulatedCarrierRequest.Action.DELETE_RECORDING
    assert SimulatedCarrierRequest.objects.get().sid == "RE0123"
