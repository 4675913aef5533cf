"""The Twilio carrier, tested at our boundary: the SDK's HTTP client is replaced by a
recorder, so what would go to Twilio's REST API is checked without leaving the machine."""

import json
from unittest import mock

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from telephony.carrier import CarrierError, NumberUnavailable
from telephony.twilio import TwilioCarrier, webhook_auth_token

SID = "AC" + "1" * 32


class RecordingHttpClient(HttpClient):
    def __init__(self, responses):
        super().__init__(logger=mock.Mock(), is_async=False)
        self.responses = list(responses)
        self.requests = []

    def request(
        self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        self.requests.append({"method": method, "uri": uri, "params": params or {}, "data": data or {}})
        status, body = self.responses.pop(0)
        return Response(status, json.dumps(body))


def carrier(*responses):
    http = RecordingHttpClient(responses)
    return TwilioCarrier(account_sid=SID, auth_token="token", client=Client(SID, "token", http_client=http)), http


def available(*numbers):
    return {
        "available_phone_numbers": [
            {"phone_number": n, "friendly_name": n, "region": "GA", "iso_country": "US", "capabilities": {}}
            for n in numbers
        ],
        "uri": "/x",
        "end": 0,
        "first_page_uri": "/x",
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
    }


def test_search_by_area_code(settings):
    twilio, http = carrier((200, available("+14045550100", "+14045550101")))
    found = twilio.search_numbers(area_code="404", limit=2)
    assert [n.number for n in found] == ["+14045550100", "+14045550101"]
    request = http.requests[0]
    assert request["method"] == "GET"
    assert request["uri"].endswith(f"/Accounts/{SID}/AvailablePhoneNumbers/US/Local.json")
    assert request["params"]["AreaCode"] == 404
    assert request["params"]["VoiceEnabled"] == "true"


def test_search_near_a_canadian_number_uses_canada():
    twilio, http = carrier((200, available("+14165550100")))
    twilio.search_numbers(near="+14165550123", limit=1)
    request = http.requests[0]
    assert request["uri"].endswith("/AvailablePhoneNumbers/CA/Local.json")
    assert request["params"]["NearNumber"] == "+14165550123"
    assert request["params"]["Distance"] == 100


def test_search_toll_free():
    twilio, http = carrier((200, available("+18885550100")))
    found = twilio.search_numbers(toll_free=True, area_code="888", limit=1)
    assert found[0].toll_free
    assert http.requests[0]["uri"].endswith("/AvailablePhoneNumbers/US/TollFree.json")


def test_buying_points_the_number_at_our_webhooks(settings):
    settings.PUBLIC_BASE_URL = "https://calls.example.com"
    twilio, http = carrier((201, {"sid": "PN" + "2" * 32, "phone_number": "+14045550100"}))
    bought = twilio.buy_number("+14045550100")
    assert (bought.number, bought.sid) == ("+14045550100", "PN" + "2" * 32)
    request = http.requests[0]
    assert request["method"] == "POST"
    assert request["uri"].endswith(f"/Accounts/{SID}/IncomingPhoneNumbers.json")
    assert request["data"]["PhoneNumber"] == "+14045550100"
    assert request["data"]["VoiceUrl"] == "https://calls.example.com/telephony/twilio/voice"
    assert request["data"]["StatusCallback"] == "https://calls.example.com/telephony/twilio/status"
    assert request["data"]["SmsUrl"] == "https://calls.example.com/telephony/twilio/sms"


def test_a_number_taken_meanwhile_is_unavailable():
    twilio, _ = carrier((400, {"code": 21422, "message": "PhoneNumber requested is not available", "status": 400}))
    with pytest.raises(NumberUnavailable):
        twilio.buy_number("+14045550100")


def test_other_twilio_errors_are_carrier_errors():
    twilio, _ = carrier((401, {"code": 20003, "message": "Authenticate", "status": 401}))
    with pytest.raises(CarrierError) as caught:
        twilio.search_numbers(area_code="404")
    assert not isinstance(caught.value, NumberUnavailable)


def test_release_deletes_and_tolerates_an_already_released_number():
    twilio, http = carrier((204, {}), (404, {"code": 20404, "message": "not found", "status": 404}))
    twilio.release_number("PN1")
    twilio.release_number("PN1")
    assert [r["method"] for r in http.requests] == ["DELETE", "DELETE"]
    assert http.requests[0]["uri"].endswith(f"/Accounts/{SID}/IncomingPhoneNumbers/PN1.json")


def test_placing_a_call_and_sending_a_text():
    twilio, http = carrier((201, {"sid": "CA9"}), (201, {"sid": "SM9"}))
    assert (
        twilio.place_call(to="+14045551234", from_="+14705550111", url="https://x/o", status_callback="https://x/s")
        == "CA9"
    )
    assert twilio.send_sms(to="+13035550123", from_="+14705550111", body="Hi", status_callback="https://x/ss") == "SM9"
    call, text = http.requests
    assert call["uri"].endswith(f"/Accounts/{SID}/Calls.json")
    assert (call["data"]["To"], call["data"]["From"], call["data"]["Url"], call["data"]["StatusCallback"]) == (
        "+14045551234",
        "+14705550111",
        "https://x/o",
        "https://x/s",
    )
    assert text["uri"].endswith(f"/Accounts/{SID}/Messages.json")
    assert (text["data"]["Body"], text["data"]["StatusCallback"]) == ("Hi", "https://x/ss")


def test_recordings_are_fetched_with_credentials_only_from_twilio():
    twilio, _ = carrier()
    reply = mock.Mock(status_code=200, content=b"ID3", headers={"Content-Type": "audio/mpeg"})
    with mock.patch("telephony.twilio.requests.get", return_value=reply) as get:
        body, content_type = twilio.fetch_recording("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
    assert (body, content_type) == (b"ID3", "audio/mpeg")
    assert get.call_args.args[0] == "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3"
    assert get.call_args.kwargs["auth"] == (SID, "token")
    with mock.patch("telephony.twilio.requests.get") as get, pytest.raises(CarrierError):
        twilio.fetch_recording("https://evil.example.com/RE1")
    get.assert_not_called()


def test_the_webhook_token_is_twilios_when_configured(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    derived = webhook_auth_token()
    assert len(derived) == 32
    settings.TWILIO_AUTH_TOKEN = "real-token"
    assert webhook_auth_token() == "real-token"
